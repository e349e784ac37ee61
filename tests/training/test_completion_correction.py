"""Completion (issue 13, item 5): not before the last day unless forced with a reason, a
preview of who would pass and why, and a documented correction (re-open within a window,
evaluate again, certificates issued or revoked with events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.clock import FrozenClock
from tests.training.helpers import add_volunteers, enrol_all, open_session, training_app

FIRST_DAY = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)  # 10:00 WIB on the first day
DAYS = ("2027-02-01", "2027-02-02")


async def _running(t, count):
    ids = await add_volunteers(t, count)
    s = await open_session(t, start_date=DAYS[0], end_date=DAYS[1], capacity=count)
    outcomes = await enrol_all(t, s["id"], ids)
    assert (await t.post(f"/sessions/{s['id']}/start")).status_code == 200
    return s["id"], [o["enrolment_id"] for o in outcomes]


async def _mark(t, sid, day, enrolment_ids, status="present"):
    sheet = {"marks": [{"enrolment_id": e, "status": status} for e in enrolment_ids]}
    r = await t.put(f"/sessions/{sid}/attendance/{day}", sheet)
    assert r.status_code == 200, r.text


async def _scores(t, sid, pairs):
    body = {"scores": [{"enrolment_id": e, "post_score": p} for e, p in pairs]}
    assert (await t.put(f"/sessions/{sid}/scores", body)).status_code == 200


async def test_completion_before_the_last_day_is_refused_unless_forced_with_a_reason(
    database_url,
):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, _ = await _running(t, 2)
        early = await t.post(f"/sessions/{sid}/complete")
        assert early.status_code == 409, early.text
        assert "2027-02-02" in early.json()["detail"]
        no_reason = await t.post(f"/sessions/{sid}/complete", {"force": True})
        assert no_reason.status_code == 422
        assert no_reason.json()["errors"][0]["field"] == "reason_code"
        assert await t.events("session-completed") == []
        forced = await t.post(
            f"/sessions/{sid}/complete", {"force": True, "reason_code": "ended_early"}
        )
        assert forced.status_code == 200, forced.text
        assert (await t.get(f"/sessions/{sid}")).json()["completion_forced_reason"] == (
            "ended_early"
        )


async def test_completion_on_the_last_day_needs_no_force(database_url):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock) as t:
        sid, _ = await _running(t, 1)
        clock.advance(timedelta(days=1))
        r = await t.post(f"/sessions/{sid}/complete")
        assert r.status_code == 200, r.text
        assert (await t.get(f"/sessions/{sid}")).json()["completion_forced_reason"] is None


async def test_completion_preview_shows_who_would_pass_and_why_and_changes_nothing(
    database_url,
):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, (full, absent, low, untested) = await _running(t, 4)
        await _mark(t, sid, DAYS[0], [full, absent, low, untested])
        await _mark(t, sid, DAYS[1], [full, low, untested])
        await _mark(t, sid, DAYS[1], [absent], "absent")
        await _scores(t, sid, [(full, 80), (absent, 90), (low, 40)])
        r = await t.get(f"/sessions/{sid}/completion-preview")
        assert r.status_code == 200, r.text
        preview = r.json()
        assert (preview["needs_force"], preview["would_pass"], preview["would_fail"]) == (
            True,
            1,
            3,
        )
        by_id = {p["enrolment_id"]: p for p in preview["results"]}
        assert by_id[full]["would_pass"] is True
        assert (by_id[absent]["attendance_pct"], by_id[absent]["days_attended"]) == (50.0, 1)
        # Indonesian by default (English on Accept-Language: en, see test_console_reads)
        assert "kehadiran 50%" in by_id[absent]["reason"]
        assert "di bawah batas lulus" in by_id[low]["reason"]
        assert by_id[untested]["reason"] == "belum ada nilai post-test"
        assert (await t.get(f"/sessions/{sid}")).json()["status"] == "in_progress"
        assert await t.events("certificate-issued") == []


async def test_reopen_within_the_window_evaluates_again_and_issues_or_revokes(database_url):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock) as t:
        sid, (kept, wrongly_passed, wrongly_failed) = await _running(t, 3)
        for day in DAYS:
            await _mark(t, sid, day, [kept, wrongly_passed, wrongly_failed])
        await _scores(t, sid, [(kept, 80), (wrongly_passed, 80)])
        clock.advance(timedelta(days=1))
        first = (await t.post(f"/sessions/{sid}/complete")).json()
        assert (first["passed"], first["failed"]) == (2, 1)
        issued = {e["volunteer_id"]: e for e in await t.events("certificate-issued")}

        clock.advance(timedelta(days=3))
        r = await t.post(f"/sessions/{sid}/reopen", {"reason_code": "attendance_wrong"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_progress"
        assert r.json()["window_closed_at"].startswith("2027-02-16")
        await _mark(t, sid, DAYS[1], [wrongly_passed], "absent")
        await _scores(t, sid, [(wrongly_failed, 75)])
        again = (await t.post(f"/sessions/{sid}/complete")).json()
        assert (again["passed"], again["failed"]) == (2, 1)

        listed = {e["id"]: e for e in (await t.get(f"/sessions/{sid}/enrolments")).json()}
        [revoked] = await t.events("certificate-revoked")
        assert revoked["reason_code"] == "issued_in_error"
        assert revoked["volunteer_id"] == listed[wrongly_passed]["volunteer_id"]
        after = await t.events("certificate-issued")
        assert len(after) == 3  # the kept one is not issued twice
        assert after[-1]["volunteer_id"] == listed[wrongly_failed]["volunteer_id"]
        assert listed[kept]["volunteer_id"] in issued
        assert len(await t.events("session-completed")) == 2


async def test_reopen_after_the_window_or_of_an_unfinished_session_is_refused(database_url):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock, reopen_window_days=14) as t:
        sid, _ = await _running(t, 1)
        body = {"reason_code": "scores_wrong"}
        assert (await t.post(f"/sessions/{sid}/reopen", body)).status_code == 409
        clock.advance(timedelta(days=1))
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200
        clock.advance(timedelta(days=14, seconds=1))
        late = await t.post(f"/sessions/{sid}/reopen", body)
        assert late.status_code == 409
        assert "Masa koreksi berakhir" in late.json()["detail"]  # the correction window closed
        assert (await t.post(f"/sessions/{sid}/reopen", {"reason_code": "typo"})).status_code == 422
