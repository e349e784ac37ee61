"""Issue 13, items 7 and 8 (training's side): completing a session publishes each
participant's result and why (`participant-evaluated`: codes and figures, no names), and a
re-opened session is published (`session-reopened`), so its people can be told."""

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
    assert (await t.put(f"/sessions/{sid}/attendance/{day}", sheet)).status_code == 200


async def _scores(t, sid, pairs):
    body = {"scores": [{"enrolment_id": e, "post_score": p} for e, p in pairs]}
    assert (await t.put(f"/sessions/{sid}/scores", body)).status_code == 200


async def _course(t, sid):
    session = (await t.get(f"/sessions/{sid}")).json()
    course = (await t.get(f"/courses/{session['course_code']}")).json()
    return course["pass_mark"], course["min_attendance_pct"]


async def test_completion_publishes_each_participants_result_with_the_reasons_and_figures(
    database_url,
):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock) as t:
        sid, (passing, absent, low, untested) = await _running(t, 4)
        pass_mark, _ = await _course(t, sid)
        await _mark(t, sid, DAYS[0], [passing, absent, low, untested])
        await _mark(t, sid, DAYS[1], [passing, low, untested])
        await _mark(t, sid, DAYS[1], [absent], "absent")
        await _scores(t, sid, [(passing, 90), (absent, 40), (low, pass_mark - 15)])
        clock.advance(timedelta(days=1))
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200

        results = {e["enrolment_id"]: e for e in await t.events("participant-evaluated")}
        assert set(results) == {passing, absent, low, untested}
        assert (results[passing]["passed"], results[passing]["reasons"]) == (True, [])
        assert results[absent]["reasons"] == [
            "attendance_below_minimum",
            "post_test_below_pass_mark",
        ]
        assert (results[absent]["days_attended"], results[absent]["session_days"]) == (1, 2)
        assert results[absent]["days_required"] == 2
        assert results[low]["reasons"] == ["post_test_below_pass_mark"]
        assert (results[low]["post_test_score"], results[low]["pass_mark"]) == (
            pass_mark - 15,
            pass_mark,
        )
        assert results[untested]["reasons"] == ["no_post_test"]
        assert results[untested]["post_test_score"] is None
        assert {r["evaluation"] for r in results.values()} == {1}
        assert {r["previous_passed"] for r in results.values()} == {None}
        assert {r["session_id"] for r in results.values()} == {sid}
        listed = {e["id"]: e for e in (await t.get(f"/sessions/{sid}/enrolments")).json()}
        assert results[low]["volunteer_id"] == listed[low]["volunteer_id"]


async def test_completing_twice_publishes_the_results_once(database_url):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock) as t:
        sid, _ = await _running(t, 2)
        clock.advance(timedelta(days=1))
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200
        assert len(await t.events("participant-evaluated")) == 2


async def test_the_preview_names_every_rule_a_participant_misses(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, (absent,) = await _running(t, 1)
        await _mark(t, sid, DAYS[0], [absent], "absent")
        [result] = (await t.get(f"/sessions/{sid}/completion-preview")).json()["results"]
        assert result["reasons"] == ["attendance_below_minimum", "no_post_test"]


async def test_reopen_publishes_the_reopening_and_re_evaluation_publishes_a_new_evaluation(
    database_url,
):
    clock = FrozenClock(FIRST_DAY)
    async with training_app(database_url, clock=clock, reopen_window_days=14) as t:
        sid, (kept, corrected) = await _running(t, 2)
        pass_mark, _ = await _course(t, sid)
        for day in DAYS:
            await _mark(t, sid, day, [kept, corrected])
        await _scores(t, sid, [(kept, 90), (corrected, pass_mark - 1)])
        clock.advance(timedelta(days=1))
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200
        assert await t.events("session-reopened") == []

        clock.advance(timedelta(days=2))
        r = await t.post(f"/sessions/{sid}/reopen", {"reason_code": "scores_wrong"})
        assert r.status_code == 200, r.text
        [reopened] = await t.events("session-reopened")
        assert reopened["session_id"] == sid
        assert reopened["reason_code"] == "scores_wrong"
        assert reopened["reopened_at"].startswith("2027-02-04")
        assert datetime.fromisoformat(reopened["window_ends_at"]) == datetime.fromisoformat(
            r.json()["window_closed_at"]
        )

        await _scores(t, sid, [(corrected, pass_mark)])
        assert (await t.post(f"/sessions/{sid}/complete")).status_code == 200
        second = [e for e in await t.events("participant-evaluated") if e["evaluation"] == 2]
        by_enrolment = {e["enrolment_id"]: e for e in second}
        assert set(by_enrolment) == {kept, corrected}
        assert (by_enrolment[corrected]["passed"], by_enrolment[corrected]["previous_passed"]) == (
            True,
            False,
        )
        assert (by_enrolment[kept]["passed"], by_enrolment[kept]["previous_passed"]) == (
            True,
            True,
        )
        assert len(await t.events("participant-evaluated")) == 4


async def test_a_refused_reopening_publishes_nothing(database_url):
    async with training_app(database_url, clock=FrozenClock(FIRST_DAY)) as t:
        sid, _ = await _running(t, 1)
        r = await t.post(f"/sessions/{sid}/reopen", {"reason_code": "other"})
        assert r.status_code == 409
        assert await t.events("session-reopened") == []
