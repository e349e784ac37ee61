"""Courses are seeded data edited by national admins; sessions follow scope and lifecycle."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.training.helpers import (
    BEKASI_OPERATOR,
    DEPOK_OPERATOR,
    JABAR_OPERATOR,
    open_session,
    session_body,
    training_app,
)


async def test_courses_are_seeded_once_and_national_admin_edits_the_policy(database_url):
    async with training_app(database_url) as t:
        courses = (await t.get("/courses")).json()
        levels = {c["code"]: c["level"] for c in courses}
        assert levels["BIMTEK-DASAR"] == "dasar"
        assert levels["BIMTEK-LANJUTAN"] == "lanjutan"
        assert {"BIMTEK-KHUSUS-ANAK", "BIMTEK-KHUSUS-DISABILITAS"} <= set(levels)
        lanjutan = next(c for c in courses if c["code"] == "BIMTEK-LANJUTAN")
        assert lanjutan["prerequisite_level"] == "dasar"

        r = await t.client.patch(
            "/courses/BIMTEK-DASAR", json={"pass_mark": 75}, headers=t.headers()
        )
        assert r.status_code == 200, r.text
        from services.training.main import seed_courses

        await seed_courses(t.app.state.service)  # a restart must not undo the admin's edit
        assert (await t.get("/courses/BIMTEK-DASAR")).json()["pass_mark"] == 75


async def test_regency_operator_cannot_change_course_policy(database_url):
    async with training_app(database_url) as t:
        r = await t.client.patch(
            "/courses/BIMTEK-DASAR",
            json={"pass_mark": 10},
            headers=t.headers(DEPOK_OPERATOR),
        )
        assert r.status_code == 403
        assert (await t.get("/courses/BIMTEK-DASAR")).json()["pass_mark"] == 60


async def test_operator_of_depok_schedules_in_depok_but_not_in_bekasi(database_url):
    async with training_app(database_url) as t:
        ok = await t.post("/sessions", session_body(), DEPOK_OPERATOR)
        assert ok.status_code == 201, ok.text
        assert ok.json()["status"] == "draft"
        other = await t.post(
            "/sessions",
            session_body(organiser_region_code="32.75", venue_village_code="32.75.01.1001"),
            DEPOK_OPERATOR,
        )
        assert other.status_code == 403


async def test_organisers_see_and_change_only_sessions_in_their_scope(database_url):
    async with training_app(database_url) as t:
        depok = (await t.post("/sessions", session_body(), DEPOK_OPERATOR)).json()
        sid = depok["id"]
        assert (await t.get(f"/sessions/{sid}", BEKASI_OPERATOR)).status_code == 404
        assert (await t.get("/sessions", BEKASI_OPERATOR)).json() == []
        assert (await t.post(f"/sessions/{sid}/open", who=BEKASI_OPERATOR)).status_code == 404
        r = await t.client.patch(
            f"/sessions/{sid}", json={"capacity": 5}, headers=t.headers(BEKASI_OPERATOR)
        )
        assert r.status_code == 404
        assert [s["id"] for s in (await t.get("/sessions", JABAR_OPERATOR)).json()] == [sid]
        assert (await t.get(f"/sessions/{sid}", JABAR_OPERATOR)).status_code == 200


async def test_who_may_organise_a_level_is_course_policy(database_url):
    async with training_app(database_url) as t:
        r = await t.post("/sessions", session_body(course_code="BIMTEK-LANJUTAN"), DEPOK_OPERATOR)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "organiser_region_code"
        province = await t.post(
            "/sessions",
            session_body(course_code="BIMTEK-LANJUTAN", organiser_region_code="32"),
            JABAR_OPERATOR,
        )
        assert province.status_code == 201, province.text


async def test_scheduling_on_a_public_holiday_warns_but_is_allowed(database_url):
    async with training_app(database_url) as t:
        r = await t.post("/sessions", session_body(start_date="2026-08-17", end_date="2026-08-18"))
        assert r.status_code == 201
        assert any("2026-08-17 adalah hari libur nasional" in w for w in r.json()["warnings"])
        plain = await t.post(
            "/sessions", session_body(start_date="2026-08-19", end_date="2026-08-20")
        )
        assert plain.json()["warnings"] == []


async def test_lifecycle_draft_open_in_progress_completed_and_scheduled_event(database_url):
    async with training_app(database_url) as t:
        s = await open_session(t)
        assert s["status"] == "open"
        [scheduled] = await t.events("session-scheduled")
        assert scheduled["session_id"] == s["id"]
        assert scheduled["timezone"] == "Asia/Jakarta"
        assert scheduled["level"] == "dasar"
        again = await t.post(f"/sessions/{s['id']}/open")
        assert again.status_code == 409
        assert (await t.post(f"/sessions/{s['id']}/complete")).status_code == 409
        assert (await t.post(f"/sessions/{s['id']}/start")).json()["status"] == "in_progress"


async def test_cancelling_a_session_needs_a_reason_code_and_cancels_every_place(database_url):
    from tests.training.helpers import add_volunteers, enrol_all

    async with training_app(database_url) as t:
        s = await open_session(t, capacity=1)
        ids = await add_volunteers(t, 2)
        await enrol_all(t, s["id"], ids)
        assert (await t.post(f"/sessions/{s['id']}/cancel", {})).status_code == 422
        typed = {"reason": "Aula dipakai acara lain"}
        assert (await t.post(f"/sessions/{s['id']}/cancel", typed)).status_code == 422
        unknown = {"reason_code": "aula dipakai"}
        assert (await t.post(f"/sessions/{s['id']}/cancel", unknown)).status_code == 422
        r = await t.post(f"/sessions/{s['id']}/cancel", {"reason_code": "venue_unavailable"})
        assert r.status_code == 200
        assert r.json()["status"] == "cancelled"
        assert (r.json()["cancel_reason_code"], r.json()["cancel_note"]) == (
            "venue_unavailable",
            None,
        )
        [cancelled] = await t.events("session-cancelled")
        assert cancelled["reason_code"] == "venue_unavailable"
        reasons = [e["reason_code"] for e in await t.events("enrolment-cancelled")]
        assert reasons == ["session_cancelled", "session_cancelled"]


async def test_the_cancellation_note_stays_in_training_and_only_operators_in_scope_see_it(
    database_url,
):
    async with training_app(database_url) as t:
        s = await open_session(t)
        note = "Aula dipakai acara lain; hubungi Bu Siti 081234567890"
        long = {"reason_code": "other", "note": "x" * 501}
        assert (await t.post(f"/sessions/{s['id']}/cancel", long)).status_code == 422
        body = {"reason_code": "venue_unavailable", "note": note}
        assert (await t.post(f"/sessions/{s['id']}/cancel", body)).status_code == 200
        assert (await t.get(f"/sessions/{s['id']}")).json()["cancel_note"] == note
        assert (await t.get(f"/sessions/{s['id']}", BEKASI_OPERATOR)).status_code == 404
        [cancelled] = await t.events("session-cancelled")
        assert cancelled["reason_code"] == "venue_unavailable"
        assert "0812" not in json.dumps(await t.events()) and "Siti" not in json.dumps(cancelled)


async def test_asyncapi_lists_every_training_topic(database_url):
    async with training_app(database_url) as t:
        spec = (await t.client.get("/asyncapi.json")).text
        for topic in ("training.sessions", "training.enrolments", "training.certificates"):
            assert topic in spec
        for event_type in ("certificate-issued", "enrolment-waitlisted", "session-completed"):
            assert event_type in spec


async def test_moving_an_open_session_publishes_session_rescheduled(database_url):
    async with training_app(database_url) as t:
        draft = (await t.post("/sessions", session_body())).json()
        await t.client.patch(f"/sessions/{draft['id']}", json={"capacity": 80}, headers=t.headers())
        s = await open_session(t)
        r = await t.client.patch(
            f"/sessions/{s['id']}",
            json={"start_date": "2022-12-07", "end_date": "2022-12-08"},
            headers=t.headers(),
        )
        assert r.status_code == 200, r.text
        [moved] = await t.events("session-rescheduled")
        assert moved["session_id"] == s["id"]
        assert (moved["previous_start_date"], moved["start_date"]) == ("2022-11-30", "2022-12-07")
        bad = await t.client.patch(
            f"/sessions/{s['id']}", json={"end_date": "2022-12-01"}, headers=t.headers()
        )
        assert bad.status_code == 422


async def test_an_explicit_null_for_a_session_field_is_refused_and_nothing_is_written(
    database_url,
):
    async with training_app(database_url) as t:
        draft = (await t.post("/sessions", session_body())).json()
        for field in ("title", "capacity", "start_date", "quotas", "agenda"):
            r = await t.client.patch(
                f"/sessions/{draft['id']}", json={field: None}, headers=t.headers()
            )
            assert r.status_code == 422, (field, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["errors"][0]["field"] == field
        unchanged = (await t.get(f"/sessions/{draft['id']}")).json()
        assert {**unchanged, "warnings": []} == {**draft, "warnings": []}


async def test_an_explicit_null_for_a_nullable_course_rule_clears_it(database_url):
    async with training_app(database_url) as t:
        r = await t.client.patch(
            "/courses/BIMTEK-KHUSUS-ANAK",
            json={"validity_months": None, "topic": None},
            headers=t.headers(),
        )
        assert r.status_code == 200, r.text
        assert r.json()["validity_months"] is None and r.json()["topic"] is None
        refused = await t.client.patch(
            "/courses/BIMTEK-KHUSUS-ANAK", json={"pass_mark": None}, headers=t.headers()
        )
        assert refused.status_code == 422


async def test_a_number_is_not_taken_for_a_date_nor_zero_for_false(database_url):
    async with training_app(database_url) as t:
        as_number = await t.post("/sessions", session_body(start_date=0))
        assert as_number.status_code == 422
        assert as_number.json()["errors"][0]["field"] == "start_date"
        zero = await t.client.patch(
            "/courses/BIMTEK-DASAR", json={"active": 0}, headers=t.headers()
        )
        assert zero.status_code == 422
        assert (await t.get("/courses/BIMTEK-DASAR")).json()["active"] is True


async def test_the_database_refuses_a_session_status_outside_the_closed_list(database_url):
    async with training_app(database_url) as t:
        draft = (await t.post("/sessions", session_body())).json()
        with pytest.raises(IntegrityError):
            async with t.runtime.sessionmaker() as db, db.begin():
                await db.execute(text("UPDATE sessions SET status = 'postponed'"))
        assert (await t.get(f"/sessions/{draft['id']}")).json()["status"] == "draft"
