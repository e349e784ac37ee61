"""Item 7 of issue 13: a session moved — every participant and waitlisted person is told the
new details (critical, once per move); reminders follow the new date, and one still goes out
when the new start is less than a day away."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from services.notifications.db.tables import Notification, ScheduledMessage
from services.notifications.domain.enums import Priority, ScheduledStatus
from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.events import training as tr
from tests.notifications.helpers import (
    DEPOK,
    confirmed,
    consume,
    notifications_app,
    registered,
    rescheduled,
    scheduled,
)

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Senin, 23 November 2026, 10:00 WIB


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


async def reminders(app, sid: uuid.UUID) -> list[ScheduledMessage]:
    async with app.state.runtime.sessionmaker() as session:
        stmt = select(ScheduledMessage).where(col(ScheduledMessage.session_id) == sid)
        return list((await session.execute(stmt)).scalars())


async def enrol_three(app, registry, sid: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Two confirmed participants and one on the waitlist."""
    people = tuple(registry.add(DEPOK, name=f"Relawan {i}") for i in range(3))
    for vid in people:
        await consume(app, registered(vid))
    await consume(app, confirmed(sid, people[0]))
    await consume(app, confirmed(sid, people[1]))
    await consume(app, waitlisted(sid, people[2]))
    return people  # type: ignore[return-value]


async def test_a_moved_session_is_told_to_every_participant_and_the_waitlist_once(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        first, second, waiting = await enrol_three(app, registry, sid)
        move, event_id = (
            rescheduled(sid, date(2026, 12, 14), previous=date(2026, 12, 10)),
            uuid.uuid4(),
        )
        await consume(app, move, event_id=event_id)
        await consume(app, move, event_id=event_id)  # redelivered: still one message each

        await delivery.dispatch_once(app.state.service)

        told = {n.recipient_id: n for n in await rows(app, "session-rescheduled")}
        assert set(told) == {first, second, waiting}
        assert {n.status for n in told.values()} == {"sent"}
        assert {n.priority for n in told.values()} == {Priority.CRITICAL}
        body = told[first].body
        assert "Senin, 14 Desember 2026 s.d. Selasa, 15 Desember 2026" in body
        assert "semula mulai Kamis, 10 Desember 2026" in body
        assert "daftar tunggu" in told[waiting].body and "daftar tunggu" not in body


async def test_a_session_moved_twice_is_told_twice(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        await enrol_three(app, registry, sid)
        await consume(app, rescheduled(sid, date(2026, 12, 14), previous=date(2026, 12, 10)))
        await consume(app, rescheduled(sid, date(2026, 12, 17), previous=date(2026, 12, 14)))
        assert len(await rows(app, "session-rescheduled")) == 6


async def test_reminders_follow_a_moved_session(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        await consume(app, rescheduled(sid, date(2026, 12, 14), previous=date(2026, 12, 10)))
        pending = sorted(
            r.due_at for r in await reminders(app, sid) if r.status == ScheduledStatus.PENDING
        )
        # 09:00 WIB three days and one day before the new start
        assert pending == [
            datetime(2026, 12, 11, 2, 0, tzinfo=UTC),
            datetime(2026, 12, 13, 2, 0, tzinfo=UTC),
        ]
        cancelled = [r for r in await reminders(app, sid) if r.status == ScheduledStatus.CANCELLED]
        assert len(cancelled) == 2


async def test_a_session_moved_to_less_than_a_day_away_still_gets_a_reminder(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        participants = await enrol_three(app, registry, sid)
        # 10:00 WIB on the 23rd: both reminders of a start on the 24th have passed
        await consume(app, rescheduled(sid, date(2026, 11, 24), previous=date(2026, 12, 10)))
        [due] = [r for r in await reminders(app, sid) if r.status == ScheduledStatus.PENDING]
        assert due.due_at == MORNING_WIB

        await delivery.dispatch_once(app.state.service)  # releases the reminder
        await delivery.dispatch_once(app.state.service)  # delivers it

        sent = await rows(app, "session-reminder")
        assert {n.recipient_id for n in sent} == set(participants[:2])  # confirmed only
        assert all("1 hari lagi, Selasa, 24 November 2026" in n.body for n in sent)


async def test_a_session_moved_to_today_is_reminded_of_as_today(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        await enrol_three(app, registry, sid)
        await consume(app, rescheduled(sid, date(2026, 11, 23), previous=date(2026, 12, 10)))
        await delivery.dispatch_once(app.state.service)
        await delivery.dispatch_once(app.state.service)
        sent = await rows(app, "session-reminder")
        assert len(sent) == 2 and all("dimulai hari ini" in n.body for n in sent)


async def test_a_session_moved_into_the_past_schedules_no_reminder(database_url, registry):
    clock = FrozenClock(MORNING_WIB + timedelta(days=30))
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        await consume(app, rescheduled(sid, date(2026, 12, 1), previous=date(2026, 12, 10)))
        assert not [r for r in await reminders(app, sid) if r.status == ScheduledStatus.PENDING]
