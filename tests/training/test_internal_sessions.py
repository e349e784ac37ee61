"""GET /internal/sessions/{id}: a session's typed names for services holding sessions:read
(notifications), and for nobody else; the public events no longer carry them."""

from __future__ import annotations

import uuid

from shared.identity import Audience, Permission
from tests.builders import service_headers
from tests.training.helpers import open_session, training_app

TITLE = "Bimtek Dasar PSM Depok Angkatan 3"


def training_token(*permissions: Permission) -> dict[str, str]:
    return service_headers(permissions=permissions, audience=Audience.TRAINING)


async def test_a_service_holding_sessions_read_gets_the_title_organiser_and_venue(database_url):
    async with training_app(database_url) as t:
        s = await open_session(t, title=TITLE)
        r = await t.client.get(
            f"/internal/sessions/{s['id']}", headers=training_token(Permission.SESSIONS_READ)
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "session_id": s["id"],
            "title": TITLE,
            "organiser_agency": "Dinas Sosial Kota Depok",
            "venue_name": "Aula Baleka lt. 10",
            "venue_village_code": "32.76.01.1006",
            "start_date": "2022-11-30",
            "end_date": "2022-12-01",
            "timezone": "Asia/Jakarta",
            "status": "open",
        }
        [event] = await t.events("session-scheduled")
        assert not {"title", "organiser_agency", "venue_name"} & set(event)


async def test_operators_and_services_without_sessions_read_are_refused(database_url):
    async with training_app(database_url) as t:
        s = await open_session(t)
        url = f"/internal/sessions/{s['id']}"
        operator = await t.client.get(url, headers=t.headers())  # a national admin
        assert operator.status_code == 403
        other = await t.client.get(
            url, headers=training_token(Permission.CONTACTS_READ, Permission.REVOCATIONS_READ)
        )
        assert other.status_code == 403
        assert "sessions:read" in other.json()["detail"]  # the permission it lacks
        for_registry = service_headers(permissions=[Permission.SESSIONS_READ])  # wrong audience
        assert (await t.client.get(url, headers=for_registry)).status_code == 401
        assert (await t.client.get(url)).status_code == 401


async def test_an_unknown_session_is_a_404(database_url):
    async with training_app(database_url) as t:
        r = await t.client.get(
            f"/internal/sessions/{uuid.uuid4()}", headers=training_token(Permission.SESSIONS_READ)
        )
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
