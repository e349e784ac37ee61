"""notifications answers operators in Bahasa Indonesia, in English when `Accept-Language`
prefers it, and refuses query parameters its routes do not know (issue 13, items 11, 12)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.clock import FrozenClock
from tests.notifications.helpers import notifications_app, queue_welcome_wave
from tests.notifications.test_api import as_operator, client_of

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
ENGLISH = {"Accept-Language": "en"}


async def test_a_notifications_problem_is_in_indonesian_by_default_and_english_on_request(
    database_url, registry
):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        missing = f"/notifications/{uuid.uuid4()}"
        indonesian = await client.get(missing, headers=headers)
        assert indonesian.status_code == 404
        assert indonesian.headers["content-language"] == "id"
        assert indonesian.json()["title"] == "Tidak ditemukan"
        assert indonesian.json()["detail"].startswith("Notifikasi ")
        assert indonesian.json()["detail"].endswith(" tidak ditemukan")
        english = await client.get(missing, headers={**headers, **ENGLISH})
        assert english.status_code == 404
        assert english.headers["content-language"] == "en"
        assert english.json()["title"] == "Not found"
        assert english.json()["detail"].endswith(" not found")
        assert english.json()["detail"].startswith("notification ")


async def test_a_refused_broadcast_names_the_field_in_the_operators_language(
    database_url, registry
):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        body = {"region_code": "32.75", "message": "Rapat koordinasi PSM"}
        outside = await client.post("/broadcasts", json=body, headers=headers)
        assert outside.status_code == 403
        assert outside.json()["title"] == "Tidak diizinkan"
        assert outside.json()["detail"] == "Wilayah 32.75 berada di luar cakupan Anda"
        english = await client.post("/broadcasts", json=body, headers={**headers, **ENGLISH})
        assert english.json()["title"] == "Forbidden"
        assert english.json()["detail"] == "region 32.75 is outside your scope"


async def test_an_unknown_template_is_titled_in_the_operators_language(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        r = await client.get("/templates/no-such-template/preview", headers=headers)
        assert r.status_code == 404
        assert r.json()["title"] == "Templat tidak dikenal"
        r = await client.get("/templates/no-such-template/preview", headers={**headers, **ENGLISH})
        assert r.json()["title"] == "Unknown template"


async def test_a_mistyped_ledger_filter_is_a_422_naming_it_not_every_row(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        await queue_welcome_wave(app, 3, due=MORNING_WIB)
        headers = as_operator(app, "32.76")
        mistyped = await client.get("/notifications", params={"stauts": "sent"}, headers=headers)
        assert mistyped.status_code == 422
        assert [e["field"] for e in mistyped.json()["errors"]] == ["query.stauts"]
        assert mistyped.json()["errors"][0]["message"] == "parameter kueri ini tidak dikenal"
        english = await client.get(
            "/notifications", params={"stauts": "sent"}, headers={**headers, **ENGLISH}
        )
        assert english.json()["errors"][0]["message"] == "unknown query parameter"
        filtered = await client.get("/notifications", params={"status": "sent"}, headers=headers)
        assert filtered.status_code == 200 and filtered.json() == []
        page = await client.get("/notifications", params={"limit": 2}, headers=headers)
        assert len(page.json()) == 2
        following = await client.get(
            "/notifications",
            params={"limit": 2, "after": page.headers["x-next-cursor"]},
            headers=headers,
        )
        assert following.status_code == 200 and len(following.json()) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/broadcasts?regon=32.76",
        "/templates?bogus=1",
        "/templates/registration-received/preview?bogus=1",
        f"/volunteers/{uuid.UUID(int=1)}/preferences?bogus=1",
        f"/notifications/{uuid.UUID(int=1)}?bogus=1",
    ],
)
async def test_notifications_routes_refuse_unknown_query_parameters(database_url, registry, path):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        r = await client.get(path, headers=as_operator(app, "32.76"))
        assert r.status_code == 422, r.text
        name = path.split("?")[1].split("=")[0]
        assert [e["field"] for e in r.json()["errors"]] == [f"query.{name}"]
