"""training answers operators in Bahasa Indonesia, in English when `Accept-Language`
prefers it, and refuses query parameters its routes do not know (issue 13, items 11, 12)."""

from __future__ import annotations

import uuid

import pytest

from shared.auth import Role
from tests.training.helpers import (
    DEPOK_OPERATOR,
    add_volunteers,
    open_session,
    session_body,
    training_app,
)

ENGLISH = {"Accept-Language": "en"}


async def test_a_training_problem_is_in_indonesian_by_default_and_english_on_request(
    database_url,
):
    async with training_app(database_url) as t:
        missing = f"/sessions/{uuid.uuid4()}"
        indonesian = await t.client.get(missing, headers=t.headers())
        assert indonesian.status_code == 404
        assert indonesian.headers["content-language"] == "id"
        assert indonesian.json()["title"] == "Tidak ditemukan"
        assert indonesian.json()["detail"].startswith("Sesi ")
        assert "tidak ditemukan dalam cakupan Anda" in indonesian.json()["detail"]
        english = await t.client.get(missing, headers={**t.headers(), **ENGLISH})
        assert english.status_code == 404
        assert english.headers["content-language"] == "en"
        assert english.json()["title"] == "Not found"
        assert english.json()["detail"].startswith("no session ")


async def test_a_refused_session_names_the_field_in_the_operators_language(database_url):
    async with training_app(database_url) as t:
        body = session_body(start_date="2022-12-02", end_date="2022-12-01")
        indonesian = await t.client.post("/sessions", json=body, headers=t.headers())
        assert indonesian.status_code == 422
        assert indonesian.json()["title"] == "Sesi tidak valid"
        assert indonesian.json()["errors"] == [
            {"field": "end_date", "message": "tidak boleh sebelum start_date"}
        ]
        english = await t.client.post("/sessions", json=body, headers={**t.headers(), **ENGLISH})
        assert english.json()["title"] == "Invalid session"
        assert english.json()["errors"] == [
            {"field": "end_date", "message": "must not be before start_date"}
        ]


async def test_a_quota_validator_message_is_in_the_operators_language(database_url):
    async with training_app(database_url) as t:
        body = session_body(quotas={"national": 10, "remainder": 5})
        indonesian = await t.client.post("/sessions", json=body, headers=t.headers())
        assert indonesian.status_code == 422
        [error] = indonesian.json()["errors"]
        assert error["message"].startswith("paling banyak satu kunci kuota sisa")
        english = await t.client.post("/sessions", json=body, headers={**t.headers(), **ENGLISH})
        assert english.json()["errors"][0]["message"].startswith("at most one remainder key")


async def test_enrolment_refusal_reasons_are_in_the_operators_language(database_url):
    async with training_app(database_url) as t:
        [volunteer] = await add_volunteers(t, 1, status="active")
        s = await open_session(t)
        url = f"/sessions/{s['id']}/enrolments"
        first = await t.client.post(url, json={"volunteer_id": volunteer}, headers=t.headers())
        assert first.json()["outcome"] == "confirmed", first.text
        again = await t.client.post(url, json={"volunteer_id": volunteer}, headers=t.headers())
        assert [r["message"] for r in again.json()["reasons"]] == [
            "sudah terdaftar atau masuk daftar tunggu"
        ]
        english = await t.client.post(
            url, json={"volunteer_id": volunteer}, headers={**t.headers(), **ENGLISH}
        )
        assert [r["message"] for r in english.json()["reasons"]] == [
            "already enrolled or waitlisted"
        ]


async def test_a_token_refusal_is_in_the_operators_language(database_url):
    async with training_app(database_url) as t:
        viewer = t.headers({"role": Role.VIEWER, "scope": "32.76"})
        refused = await t.client.post("/sessions", json=session_body(), headers=viewer)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "Peran viewer tidak boleh mengubah data"
        english = await t.client.post(
            "/sessions", json=session_body(), headers={**viewer, **ENGLISH}
        )
        assert english.json()["detail"] == "role viewer may not change data"


async def test_a_mistyped_session_filter_is_a_422_naming_it_not_every_session(database_url):
    async with training_app(database_url) as t:
        await open_session(t, DEPOK_OPERATOR)
        draft = await t.post("/sessions", session_body())
        assert draft.status_code == 201
        mistyped = await t.get("/sessions", stauts="open")
        assert mistyped.status_code == 422
        assert [e["field"] for e in mistyped.json()["errors"]] == ["query.stauts"]
        assert mistyped.json()["errors"][0]["message"] == "parameter kueri ini tidak dikenal"
        assert "open" not in mistyped.text  # the value is not echoed
        filtered = await t.get("/sessions", status="open")
        assert [s["status"] for s in filtered.json()] == ["open"]


@pytest.mark.parametrize(
    "path",
    [
        "/courses?bogus=1",
        "/sessions?year=2022&bogus=1",
        "/certificates?volunteer_id=00000000-0000-0000-0000-000000000000&bogus=1",
        "/reports/regions/32.76?year=2022&bogus=1",
        "/reports/regions/32.76.csv?year=2022&bogus=1",
    ],
)
async def test_training_routes_refuse_unknown_query_parameters(database_url, path):
    async with training_app(database_url) as t:
        r = await t.client.get(path, headers=t.headers(DEPOK_OPERATOR))
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["query.bogus"]
