"""Issue 13, items 8 and 7: a participant who did not pass is told the result, the reason in
words (attendance, score) and what to do next; a re-opened session is told to its
participants and waitlist. Codes and figures come in the events, the words are chosen here."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from services.notifications.db.tables import Notification
from services.notifications.domain import results
from services.notifications.domain.enums import Priority
from services.notifications.main import create_app
from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.events import training as tr
from shared.events.vocabulary import ReopenReason, ResultReason
from tests.notifications.helpers import (
    DEPOK,
    confirmed,
    consume,
    notifications_app,
    publish,
    registered,
    scheduled,
)
from tests.support import eventually, migrate, running, settings_for

MORNING_WIB = datetime(2026, 12, 21, 3, 0, tzinfo=UTC)  # Senin, 21 Desember 2026, 10:00 WIB
START = date(2026, 12, 14)  # Senin; the session runs 14-15 December


def evaluated(
    sid: uuid.UUID,
    vid: uuid.UUID,
    *,
    enrolment_id: uuid.UUID,
    passed: bool = False,
    reasons: tuple[str, ...] = ("attendance_below_minimum",),
    days_attended: int = 1,
    score: float | None = 80,
    evaluation: int = 1,
    previous_passed: bool | None = None,
) -> tr.ParticipantEvaluated:
    return tr.ParticipantEvaluated(
        enrolment_id=enrolment_id,
        session_id=sid,
        volunteer_id=vid,
        course_code="BIMTEK-DASAR",
        level="dasar",
        passed=passed,
        reasons=[] if passed else list(reasons),
        days_attended=days_attended,
        session_days=2,
        days_required=2,
        post_test_score=score,
        pass_mark=70,
        evaluation=evaluation,
        previous_passed=previous_passed,
        evaluated_at=MORNING_WIB,
    )


def reopened(sid: uuid.UUID, reason: str = "attendance_wrong") -> tr.SessionReopened:
    return tr.SessionReopened(session_id=sid, reason_code=reason, reopened_at=MORNING_WIB)


def waitlisted(sid: uuid.UUID, vid: uuid.UUID) -> tr.EnrolmentWaitlisted:
    return tr.EnrolmentWaitlisted(
        enrolment_id=uuid.uuid4(),
        session_id=sid,
        volunteer_id=vid,
        position=1,
        waitlisted_at=MORNING_WIB,
    )


async def rows(app, template: str) -> list[Notification]:
    async with app.state.runtime.sessionmaker() as session:
        stmt = select(Notification).where(col(Notification.template) == template)
        return list((await session.execute(stmt)).scalars())


async def participant(app, registry, sid: uuid.UUID) -> uuid.UUID:
    vid = registry.add(DEPOK, name="Siti Aminah")
    await consume(app, registered(vid))
    await consume(app, confirmed(sid, vid))
    return vid


async def test_a_participant_below_the_attendance_minimum_is_told_the_reason_and_next_step(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, START))
        vid = await participant(app, registry, sid)
        await consume(app, evaluated(sid, vid, enrolment_id=uuid.uuid4()))
        await delivery.dispatch_once(app.state.service)

        [note] = await rows(app, "participant-not-passed")
        assert (note.recipient_id, note.status) == (vid, "sent")
        assert note.priority == Priority.TRANSACTIONAL
        body = note.body
        assert "Halo Siti Aminah" in body
        assert "Bimtek PSM Dasar Kota Depok" in body  # the title, from training
        assert "Senin, 14 Desember 2026 s.d. Selasa, 15 Desember 2026" in body
        assert "belum lulus Bimtek dasar" in body
        assert "kehadiran 1 dari 2 hari (minimal 2 hari)" in body
        assert "mengikuti Bimtek dasar berikutnya" in body
        assert "hubungi operator Dinas Sosial" in body


async def test_a_low_post_test_score_is_told_with_the_score_and_the_pass_mark(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, START))
        vid = await participant(app, registry, sid)
        low = evaluated(
            sid,
            vid,
            enrolment_id=uuid.uuid4(),
            reasons=("post_test_below_pass_mark",),
            days_attended=2,
            score=55.5,
        )
        await consume(app, low)
        await delivery.dispatch_once(app.state.service)
        [note] = await rows(app, "participant-not-passed")
        assert "nilai post-test 55,5 (batas lulus 70)" in note.body
        assert "kehadiran" not in note.body


async def test_a_passed_participant_gets_no_not_passed_message(database_url, registry):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid = uuid.uuid4()
        vid = await participant(app, registry, sid)
        await consume(app, evaluated(sid, vid, enrolment_id=uuid.uuid4(), passed=True))
        assert await rows(app, "participant-not-passed") == []


async def test_an_evaluation_delivered_twice_or_republished_sends_one_message(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid, enrolment_id, event_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        vid = await participant(app, registry, sid)
        result = evaluated(sid, vid, enrolment_id=enrolment_id)
        assert await consume(app, result, event_id=event_id) == "applied"
        assert await consume(app, result, event_id=event_id) == "duplicate"  # the inbox
        await consume(app, result)  # the same evaluation under another event id
        assert len(await rows(app, "participant-not-passed")) == 1


async def test_a_re_evaluation_is_told_when_the_result_or_its_grounds_change(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid, enrolment_id = uuid.uuid4(), uuid.uuid4()
        vid = await participant(app, registry, sid)
        first = evaluated(sid, vid, enrolment_id=enrolment_id)
        await consume(app, first)
        same = evaluated(sid, vid, enrolment_id=enrolment_id, evaluation=2, previous_passed=False)
        await consume(app, same)  # unchanged after a correction: not told again
        assert len(await rows(app, "participant-not-passed")) == 1

        other_grounds = evaluated(
            sid,
            vid,
            enrolment_id=enrolment_id,
            reasons=("post_test_below_pass_mark",),
            days_attended=2,
            score=60,
            evaluation=3,
            previous_passed=False,
        )
        await consume(app, other_grounds)
        passed = evaluated(sid, vid, enrolment_id=enrolment_id, passed=True, evaluation=4)
        await consume(app, passed)
        failed_again = evaluated(
            sid,
            vid,
            enrolment_id=enrolment_id,
            reasons=("post_test_below_pass_mark",),
            days_attended=2,
            score=60,
            evaluation=5,
            previous_passed=True,
        )
        await consume(app, failed_again)  # a pass withdrawn: told, whatever was told before
        await delivery.dispatch_once(app.state.service)
        told = sorted(await rows(app, "participant-not-passed"), key=lambda n: n.context)
        assert len(told) == 3
        corrected = [n for n in told if "nilai post-test 60 (batas lulus 70)" in n.body]
        assert len(corrected) == 2
        assert all("setelah koreksi" in n.body for n in corrected)


async def test_a_reopened_session_is_told_to_its_participants_and_waitlist_once(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid, event_id = uuid.uuid4(), uuid.uuid4()
        await consume(app, scheduled(sid, START))
        first = await participant(app, registry, sid)
        second = await participant(app, registry, sid)
        waiting = registry.add(DEPOK, name="Relawan Tunggu")
        await consume(app, registered(waiting))
        await consume(app, waitlisted(sid, waiting))
        await consume(app, reopened(sid), event_id=event_id)
        await consume(app, reopened(sid), event_id=event_id)  # redelivered
        await delivery.dispatch_once(app.state.service)

        told = {n.recipient_id: n for n in await rows(app, "session-reopened")}
        assert set(told) == {first, second, waiting}
        assert {n.status for n in told.values()} == {"sent"}
        assert {n.priority for n in told.values()} == {Priority.TRANSACTIONAL}
        body = told[first].body
        assert "dibuka kembali oleh penyelenggara: koreksi data kehadiran" in body
        assert "Hasil Bimtek dapat berubah" in body
        assert "Senin, 14 Desember 2026" in body
        assert "daftar tunggu" in told[waiting].body and "daftar tunggu" not in body


def test_every_reason_and_reopen_code_has_words():
    for code in ResultReason:
        [phrase] = results.result_reasons_text(
            [code],
            days_attended=1,
            session_days=2,
            days_required=2,
            post_test_score=50,
            pass_mark=70,
        )
        assert phrase != results.OTHER_RESULT_REASON, code
    assert set(results.REOPEN_REASON_TEXT) == set(ReopenReason)
    assert results.result_reasons_text(["a_code_added_later"], **_FIGURES) == [
        results.OTHER_RESULT_REASON
    ]


_FIGURES = {
    "days_attended": 1,
    "session_days": 2,
    "days_required": 2,
    "post_test_score": None,
    "pass_mark": 70,
}


@pytest.mark.broker
async def test_results_and_a_reopening_on_the_broker_reach_the_right_people_once(
    broker, database_url, registry
):
    await migrate("notifications", database_url)
    settings = settings_for(
        "notifications",
        database_url=database_url,
        bootstrap=broker.bootstrap,
        registry_url=registry.url,
        training_url=registry.url,
        dispatch_interval_s=0.1,
    )
    app = create_app(settings, clock=FrozenClock(MORNING_WIB))
    async with running("notifications", settings, app=app):
        sid = uuid.uuid4()
        failed, passed = registry.add(DEPOK), registry.add(DEPOK)
        for event in (
            scheduled(sid, START),
            registered(failed),
            registered(passed),
            confirmed(sid, failed),
            confirmed(sid, passed),
        ):
            await publish(broker.bootstrap, event, event_id=uuid.uuid4())
        result, result_id = evaluated(sid, failed, enrolment_id=uuid.uuid4()), uuid.uuid4()
        await publish(broker.bootstrap, result, event_id=result_id)
        await publish(broker.bootstrap, result, event_id=result_id)  # redelivered
        await publish(broker.bootstrap, result, event_id=uuid.uuid4())  # relayed again
        ok = evaluated(sid, passed, enrolment_id=uuid.uuid4(), passed=True)
        await publish(broker.bootstrap, ok, event_id=uuid.uuid4())
        await publish(broker.bootstrap, reopened(sid, "scores_wrong"), event_id=uuid.uuid4())

        async def sent_reopened() -> list[Notification]:
            found = await rows(app, "session-reopened")
            return found if len(found) == 2 and {n.status for n in found} == {"sent"} else []

        told = await eventually(sent_reopened, message="both participants told of the reopening")
        assert {n.recipient_id for n in told} == {failed, passed}
        assert all("koreksi nilai tes" in n.body for n in told)
        [not_passed] = await rows(app, "participant-not-passed")
        assert not_passed.recipient_id == failed
