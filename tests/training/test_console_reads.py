"""What the console reads from training instead of guessing: a day's attendance as recorded,
a session's certificates in one call, the quota key each enrolment counts against; and
refusals (a capacity sent as text, a forced completion without a reason, a day outside the
session, the preview's reasons) in the operator's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.clock import FrozenClock
from tests.training.helpers import (
    BEKASI_OPERATOR,
    DEPOK_OPERATOR,
    JABAR_OPERATOR,
    Training,
    add_volunteers,
    enrol_all,
    open_session,
    run_to_completion,
    session_body,
    training_app,
)

ENGLISH = {"Accept-Language": "en"}
INDONESIAN = {"Accept-Language": "id"}
FIRST_DAY = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB on the first day
DAYS = ("2027-02-01", "2027-02-02")


async def _running(t: Training, count: int) -> tuple[str, list[str]]:
    ids = await add_volunteers(t, count)
    s = await open_session(t, start_date=DAYS[0], end_date=DAYS[1], capacity=count)
    outcomes = await enrol_all(t, s["id"], ids)
    assert (await t.post(f"/sessions/{s['id']}/start")).status_code == 200
    return s["id"], [o["enrolment_id"] for o in outcomes]


async def _in(t: Training, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
    return await t.client.request(method, url, headers={**t.headers(), **headers}, **kw)


# --- a day's attendance, read back -------------------------------------------------------


async def test_a_days_attendance_reads_back_each_recorded_status_and_null_for_the_rest(
    database_url,
):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, (ani, budi, citra) = await _running(t, 3)
        sheet = {
            "marks": [
                {"enrolment_id": ani, "status": "present"},
                {"enrolment_id": budi, "status": "late"},
                {"enrolment_id": citra, "status": "absent"},
            ]
        }
        assert (await t.put(f"/sessions/{sid}/attendance/{DAYS[0]}", sheet)).status_code == 200
        one = {"marks": [{"enrolment_id": budi, "status": "excused"}]}
        assert (await t.put(f"/sessions/{sid}/attendance/{DAYS[1]}", one)).status_code == 200

        first = await t.get(f"/sessions/{sid}/attendance/{DAYS[0]}")
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["day"], body["participants"], body["recorded"]) == (DAYS[0], 3, 3)
        marks = {m["enrolment_id"]: (m["status"], m["attended"]) for m in body["marks"]}
        assert marks == {
            ani: ("present", True),
            budi: ("late", True),
            citra: ("absent", False),
        }
        second = (await t.get(f"/sessions/{sid}/attendance/{DAYS[1]}")).json()
        assert second["recorded"] == 1
        assert {m["enrolment_id"]: m["status"] for m in second["marks"]} == {
            ani: None,
            budi: "excused",
            citra: None,
        }
        unrecorded = next(m for m in second["marks"] if m["enrolment_id"] == ani)
        assert (unrecorded["attended"], unrecorded["recorded_at"]) == (None, None)


async def test_a_corrected_mark_reads_back_as_corrected(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, [ani] = await _running(t, 1)
        for status in ("absent", "present"):
            sheet = {"marks": [{"enrolment_id": ani, "status": status}]}
            assert (await t.put(f"/sessions/{sid}/attendance/{DAYS[0]}", sheet)).status_code == 200
        [mark] = (await t.get(f"/sessions/{sid}/attendance/{DAYS[0]}")).json()["marks"]
        assert mark["status"] == "present"


async def test_attendance_before_the_session_starts_reads_as_nobody_recorded(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        ids = await add_volunteers(t, 2)
        s = await open_session(t, start_date=DAYS[0], end_date=DAYS[1], capacity=2)
        await enrol_all(t, s["id"], ids)
        r = await t.get(f"/sessions/{s['id']}/attendance/{DAYS[0]}")
        assert r.status_code == 200, r.text
        assert (r.json()["participants"], r.json()["recorded"]) == (2, 0)
        assert {m["status"] for m in r.json()["marks"]} == {None}


async def test_attendance_of_another_scopes_session_is_not_found(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, _ = await _running(t, 1)
        other = await t.get(f"/sessions/{sid}/attendance/{DAYS[0]}", BEKASI_OPERATOR)
        assert other.status_code == 404
        mine = await t.get(f"/sessions/{sid}/attendance/{DAYS[0]}", DEPOK_OPERATOR)
        assert mine.status_code == 200
        unknown = await t.get(f"/sessions/{uuid.uuid4()}/attendance/{DAYS[0]}")
        assert unknown.status_code == 404


async def test_a_day_outside_the_session_is_refused_in_the_operators_language(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, [ani] = await _running(t, 1)
        url = f"/sessions/{sid}/attendance/2027-02-05"
        read_id = await _in(t, "GET", url, INDONESIAN)
        assert read_id.status_code == 422
        assert read_id.json()["errors"] == [
            {"field": "day", "message": "harus antara 2027-02-01 dan 2027-02-02"}
        ]
        sheet = {"marks": [{"enrolment_id": ani, "status": "present"}]}
        write_en = await _in(t, "PUT", url, ENGLISH, json=sheet)
        assert write_en.status_code == 422
        assert write_en.json()["errors"] == [
            {"field": "day", "message": "must be between 2027-02-01 and 2027-02-02"}
        ]


# --- certificates of a session ----------------------------------------------------------


async def test_a_sessions_certificates_are_listed_in_one_call_and_only_that_sessions(
    database_url,
):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 3)
        first = await open_session(t, capacity=2)
        outcomes = await enrol_all(t, first["id"], ids[:2])
        await run_to_completion(t, first["id"], [o["enrolment_id"] for o in outcomes])
        second = await open_session(t, capacity=1)
        [other] = await enrol_all(t, second["id"], ids[2:])
        await run_to_completion(t, second["id"], [other["enrolment_id"]])

        r = await t.get("/certificates", session_id=first["id"])
        assert r.status_code == 200, r.text
        listed = r.json()
        assert {c["volunteer_id"] for c in listed} == set(ids[:2])
        assert {c["session_id"] for c in listed} == {first["id"]}
        both = await t.get("/certificates", session_id=first["id"], volunteer_id=ids[0])
        assert [c["volunteer_id"] for c in both.json()] == [ids[0]]
        assert (await t.get("/certificates", session_id=str(uuid.uuid4()))).json() == []


async def test_a_sessions_certificates_hold_only_those_whose_holders_are_in_your_scope(
    database_url,
):
    async with training_app(database_url) as t:
        depok = await add_volunteers(t, 1)
        bekasi = await add_volunteers(t, 1, village="32.75.01.1001")
        s = await open_session(t, JABAR_OPERATOR, organiser_region_code="32", capacity=2)
        outcomes = await enrol_all(t, s["id"], depok + bekasi)
        await run_to_completion(t, s["id"], [o["enrolment_id"] for o in outcomes])

        def holders(r: Any) -> set[str]:
            assert r.status_code == 200, r.text
            return {c["volunteer_id"] for c in r.json()}

        assert holders(await t.get("/certificates", JABAR_OPERATOR, session_id=s["id"])) == {
            *depok,
            *bekasi,
        }
        assert holders(await t.get("/certificates", DEPOK_OPERATOR, session_id=s["id"])) == set(
            depok
        )
        assert holders(await t.get("/certificates", BEKASI_OPERATOR, session_id=s["id"])) == set(
            bekasi
        )


async def test_the_certificate_list_needs_a_volunteer_or_a_session(database_url):
    async with training_app(database_url) as t:
        indonesian = await _in(t, "GET", "/certificates", INDONESIAN)
        assert indonesian.status_code == 422
        assert indonesian.json()["errors"] == [
            {"field": "query.volunteer_id", "message": "isi volunteer_id atau session_id"}
        ]
        english = await _in(t, "GET", "/certificates", ENGLISH)
        assert english.json()["errors"][0]["message"] == "give volunteer_id or session_id"


# --- the quota key of an enrolment ------------------------------------------------------


async def test_each_enrolment_names_the_quota_key_its_seat_or_waitlist_place_counts_against(
    database_url,
):
    async with training_app(database_url) as t:
        depok = await add_volunteers(t, 3)
        bekasi = await add_volunteers(t, 1, village="32.75.01.1001")
        bogor = await add_volunteers(t, 1, village="32.01.01.1001")
        quotas = {"32.76": 1, "32.75": 1, "org:ipsm-pusat": 1, "remainder": 1}
        s = await open_session(
            t, JABAR_OPERATOR, organiser_region_code="32", capacity=10, quotas=quotas
        )
        regional = await enrol_all(t, s["id"], depok[:2] + bekasi + bogor)
        assert [(o["outcome"], o["quota_key"]) for o in regional] == [
            ("confirmed", "32.76"),
            ("waitlisted", "32.76"),
            ("confirmed", "32.75"),
            ("confirmed", "remainder"),
        ]
        assert all(o["quota_key"] == o["quota"] for o in regional)
        nominated = await t.post(
            f"/sessions/{s['id']}/enrolments",
            {"volunteer_id": depok[2], "quota": "org:ipsm-pusat"},
        )
        assert nominated.json()["quota_key"] == "org:ipsm-pusat"

        listed = (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        keys = {
            e["volunteer_id"]: (e["status"], e["quota_key"], e["nominated_quota"]) for e in listed
        }
        assert keys == {
            depok[0]: ("confirmed", "32.76", None),
            depok[1]: ("waitlisted", "32.76", None),
            bekasi[0]: ("confirmed", "32.75", None),
            bogor[0]: ("confirmed", "remainder", None),
            depok[2]: ("confirmed", "org:ipsm-pusat", "org:ipsm-pusat"),
        }


async def test_a_session_without_quotas_has_no_quota_key(database_url):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 2)
        s = await open_session(t, capacity=1)
        outcomes = await enrol_all(t, s["id"], ids)
        assert [(o["outcome"], o["quota_key"]) for o in outcomes] == [
            ("confirmed", None),
            ("waitlisted", None),
        ]
        listed = (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        assert {e["quota_key"] for e in listed} == {None}


# --- refusals in the operator's language ------------------------------------------------


async def test_a_capacity_sent_as_text_is_refused_in_the_operators_language(database_url):
    async with training_app(database_url) as t:
        body = session_body(capacity="30")
        indonesian = await _in(t, "POST", "/sessions", INDONESIAN, json=body)
        assert indonesian.status_code == 422
        assert indonesian.json()["errors"] == [
            {"field": "capacity", "message": "harus berupa bilangan bulat"}
        ]
        english = await _in(t, "POST", "/sessions", ENGLISH, json=body)
        assert english.json()["errors"] == [
            {"field": "capacity", "message": "must be a whole number"}
        ]
        # one rule: a number is taken, text never (as every other number field)
        assert (await t.post("/sessions", session_body(capacity=30))).status_code == 201


async def test_forcing_completion_without_a_reason_is_refused_in_the_operators_language(
    database_url,
):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, _ = await _running(t, 1)
        url = f"/sessions/{sid}/complete"
        indonesian = await _in(t, "POST", url, INDONESIAN, json={"force": True})
        assert indonesian.status_code == 422
        assert indonesian.json()["errors"] == [
            {"field": "reason_code", "message": "wajib diisi bila penyelesaian dipaksa (force)"}
        ]
        english = await _in(t, "POST", url, ENGLISH, json={"force": True})
        assert english.json()["errors"] == [
            {"field": "reason_code", "message": "required when forcing completion"}
        ]


async def test_the_completion_previews_reasons_are_in_the_operators_language(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, (full, absent, untested) = await _running(t, 3)
        for day in DAYS:
            sheet = {"marks": [{"enrolment_id": e, "status": "present"} for e in (full, untested)]}
            assert (await t.put(f"/sessions/{sid}/attendance/{day}", sheet)).status_code == 200
        scores = {
            "scores": [
                {"enrolment_id": full, "post_score": 80},
                {"enrolment_id": absent, "post_score": 90},
            ]
        }
        assert (await t.put(f"/sessions/{sid}/scores", scores)).status_code == 200
        url = f"/sessions/{sid}/completion-preview"

        def reasons(r: Any) -> dict[str, str]:
            assert r.status_code == 200, r.text
            return {p["enrolment_id"]: p["reason"] for p in r.json()["results"]}

        assert reasons(await _in(t, "GET", url, INDONESIAN)) == {
            full: "kehadiran 100%, post-test 80",
            absent: "kehadiran 0% di bawah batas minimal 100%",
            untested: "belum ada nilai post-test",
        }
        assert reasons(await _in(t, "GET", url, ENGLISH)) == {
            full: "attendance 100%, post-test 80",
            absent: "attendance 0% is below the minimum 100%",
            untested: "no post-test score recorded",
        }
