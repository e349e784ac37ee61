"""Attendance, tests, completion (idempotent), signed certificates, verify, revoke, re-issue."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from services.training.domain.certificates import holder_digest, verify_signature
from shared.clock import FrozenClock
from tests.training.helpers import (
    BEKASI_OPERATOR,
    DEPOK_OPERATOR,
    add_volunteers,
    certify,
    enrol_all,
    open_session,
    training_app,
)

DAY1, DAY2 = "2022-11-30", "2022-12-01"


async def started_session(t, count):
    ids = await add_volunteers(t, count)
    s = await open_session(t, capacity=count)
    outcomes = await enrol_all(t, s["id"], ids)
    assert (await t.post(f"/sessions/{s['id']}/start")).status_code == 200
    return s["id"], [o["enrolment_id"] for o in outcomes]


async def test_completion_evaluates_attendance_and_post_test_with_reasons(database_url):
    async with training_app(database_url) as t:
        sid, [ok, absent, low, untested] = await started_session(t, 4)
        sheet = [{"enrolment_id": e, "status": "present"} for e in (ok, absent, low, untested)]
        assert (
            await t.put(f"/sessions/{sid}/attendance/{DAY1}", {"marks": sheet})
        ).status_code == 200
        day2 = [
            {"enrolment_id": ok, "status": "late"},
            {"enrolment_id": absent, "status": "absent"},
            {"enrolment_id": low, "status": "left_early"},
            {"enrolment_id": untested, "status": "present"},
        ]
        assert (
            await t.put(f"/sessions/{sid}/attendance/{DAY2}", {"marks": day2})
        ).status_code == 200
        scores = [
            {"enrolment_id": ok, "pre_score": 40, "post_score": 85},
            {"enrolment_id": absent, "pre_score": 50, "post_score": 90},
            {"enrolment_id": low, "pre_score": 30, "post_score": 55},
            {"enrolment_id": untested, "pre_score": 45},
        ]
        assert (await t.put(f"/sessions/{sid}/scores", {"scores": scores})).status_code == 200

        summary = (await t.post(f"/sessions/{sid}/complete")).json()
        assert (summary["participants"], summary["passed"], summary["failed"]) == (4, 1, 3)
        assert summary["by_region"] == {"32.76": {"participants": 4, "passed": 1, "failed": 3}}
        assert summary["mean_pre_score"] == 40.0 and summary["mean_post_score"] == 76.67
        assert summary["mean_improvement"] == 36.67
        listed = {e["id"]: e for e in (await t.get(f"/sessions/{sid}/enrolments")).json()}
        assert listed[ok]["outcome"] == "passed"
        assert "attendance 50% is below the minimum 100%" in listed[absent]["outcome_reason"]
        assert "post-test score 55 is below the pass mark 60" in listed[low]["outcome_reason"]
        assert listed[untested]["outcome_reason"] == "no post-test score recorded"


async def test_attendance_is_recorded_one_by_one_and_corrected(database_url):
    async with training_app(database_url) as t:
        sid, [e] = await started_session(t, 1)
        for status in ("absent", "excused"):
            r = await t.put(
                f"/sessions/{sid}/attendance/{DAY1}",
                {"marks": [{"enrolment_id": e, "status": status}]},
            )
            assert r.json() == {"recorded": 1}
        outside = await t.put(
            f"/sessions/{sid}/attendance/2022-12-05",
            {"marks": [{"enrolment_id": e, "status": "present"}]},
        )
        assert outside.status_code == 422
        bad = await t.put(
            f"/sessions/{sid}/attendance/{DAY1}", {"marks": [{"enrolment_id": e, "status": "sick"}]}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"].startswith("marks")


async def test_completing_twice_issues_nothing_twice(database_url):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 2)
        first = await certify(t, ids)
        sid = first["session_id"]
        again = await t.post(f"/sessions/{sid}/complete")
        assert again.status_code == 200
        assert again.json() == first
        assert len(await t.events("certificate-issued")) == 2
        assert len(await t.events("session-completed")) == 1


async def test_certificate_has_number_code_and_a_signature_anyone_can_verify_offline(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1)
        await certify(t, [vid])
        [issued] = await t.events("certificate-issued")
        assert issued["level"] == "dasar" and issued["volunteer_id"] == vid
        assert issued["certificate_number"] == "BIMTEK-DASAR/32.76/2022/000001"
        code = issued["verification_code"]
        assert len(code) == 10 and not set(code) & set("01OIL")

        key = (await t.client.get("/certificates/public-key")).json()
        lowercase_with_dash = f"{code[:5]}-{code[5:]}".lower()
        r = await t.client.get(f"/certificates/verify/{lowercase_with_dash}")  # no token
        assert r.status_code == 200
        shown = r.json()
        assert shown["status"] == "valid"
        assert shown["course"]["level"] == "dasar" and shown["hours"] == 16
        assert shown["issuer"] == "Dinas Sosial Kota Depok"
        assert shown["holder"]["name"] is None
        assert vid not in json.dumps(shown)  # not even inside the signed content
        signed = json.loads(shown["signed_content"])
        assert signed["holder_digest"] == holder_digest(
            uuid.UUID(issued["certificate_id"]), uuid.UUID(vid)
        )
        assert verify_signature(
            key["public_key_base64"], shown["signed_content"], shown["signature"]
        )
        tampered = shown["signed_content"].replace('"hours":16', '"hours":160')
        assert not verify_signature(key["public_key_base64"], tampered, shown["signature"])
        assert (await t.client.get("/certificates/verify/ZZZZZZZZZZ")).status_code == 404


async def test_revoked_certificate_verifies_as_revoked_and_publishes_an_event(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1)
        await certify(t, [vid])
        [issued] = await t.events("certificate-issued")
        cid = issued["certificate_id"]
        typed = {"reason": "Data keliru"}
        assert (await t.post(f"/certificates/{cid}/revoke", typed)).status_code == 422
        unknown = {"reason_code": "data keliru"}
        assert (await t.post(f"/certificates/{cid}/revoke", unknown)).status_code == 422
        body = {"reason_code": "issued_in_error", "note": "Nilai post-test salah input"}
        forbidden = await t.post(f"/certificates/{cid}/revoke", body, BEKASI_OPERATOR)
        assert forbidden.status_code == 404
        r = await t.post(f"/certificates/{cid}/revoke", body, DEPOK_OPERATOR)
        assert r.status_code == 200 and r.json()["status"] == "revoked"
        assert r.json()["revoked_reason_code"] == "issued_in_error"
        assert r.json()["revoked_note"] == "Nilai post-test salah input"
        [revoked] = await t.events("certificate-revoked")
        assert revoked["certificate_id"] == cid and revoked["reason_code"] == "issued_in_error"
        assert "Nilai" not in json.dumps(revoked)
        shown = (await t.client.get(f"/certificates/verify/{issued['verification_code']}")).json()
        assert shown["status"] == "revoked" and shown["revoked_reason_code"] == "issued_in_error"
        assert "Nilai" not in json.dumps(shown)
        again = {"reason_code": "duplicate"}
        assert (await t.post(f"/certificates/{cid}/revoke", again)).status_code == 409


async def test_reissued_certificate_supersedes_the_old_one(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1)
        await certify(t, [vid])
        [old] = await t.events("certificate-issued")
        r = await t.post(f"/certificates/{old['certificate_id']}/reissue")
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["supersedes"] == old["certificate_id"]
        assert new["number"] == "BIMTEK-DASAR/32.76/2022/000002"
        events = await t.events("certificate-issued")
        assert events[-1]["supersedes"] == old["certificate_id"]
        shown = (await t.client.get(f"/certificates/verify/{old['verification_code']}")).json()
        assert shown["status"] == "superseded"
        assert shown["superseded_by_number"] == new["number"]
        mine = (await t.get("/certificates", volunteer_id=vid)).json()
        assert [c["status"] for c in mine] == ["superseded", "valid"]


async def test_printable_certificate_shows_number_course_and_code(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1)
        await certify(t, [vid])
        [issued] = await t.events("certificate-issued")
        r = await t.get(f"/certificates/{issued['certificate_id']}/print", DEPOK_OPERATOR)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        html = r.text
        assert issued["certificate_number"] in html
        assert "Bimbingan Teknis PSM Dasar" in html
        assert f"{issued['verification_code'][:5]}-{issued['verification_code'][5:]}" in html
        assert vid not in html
        other = await t.get(f"/certificates/{issued['certificate_id']}/print", BEKASI_OPERATOR)
        assert other.status_code == 404


async def test_lanjutan_needs_dasar_and_an_active_volunteer(database_url):
    from tests.training.helpers import JABAR_OPERATOR

    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1, status="active")
        s = await open_session(
            t, JABAR_OPERATOR, course_code="BIMTEK-LANJUTAN", organiser_region_code="32"
        )
        [before] = await enrol_all(t, s["id"], [vid])
        assert [r["code"] for r in before["reasons"]] == ["prerequisite_missing"]
        await certify(t, [vid])
        [after] = await enrol_all(t, s["id"], [vid])
        assert after["outcome"] == "confirmed"


async def test_a_certificate_shows_expired_once_the_service_clock_passes_its_validity(
    database_url,
):
    clock = FrozenClock(datetime(2023, 1, 10, 3, 0, tzinfo=UTC))
    async with training_app(database_url, clock=clock) as t:
        r = await t.client.patch(
            "/courses/BIMTEK-DASAR", json={"validity_months": 12}, headers=t.headers()
        )
        assert r.status_code == 200, r.text
        [vid] = await add_volunteers(t, 1)
        await certify(t, [vid])
        [issued] = await t.events("certificate-issued")
        assert issued["issued_at"].startswith("2023-01-10")  # the service's clock, not the host's
        assert issued["valid_until"] == "2023-12-01"
        code = issued["verification_code"]

        clock.set(datetime(2023, 12, 1, 16, 30, tzinfo=UTC))  # 1 December 23:30 in WIB
        assert (await t.client.get(f"/certificates/verify/{code}")).json()["status"] == "valid"
        clock.advance(timedelta(hours=1))  # 2 December in WIB, still 1 December in UTC
        assert (await t.client.get(f"/certificates/verify/{code}")).json()["status"] == "expired"
