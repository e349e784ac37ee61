"""Event-driven behaviour on the real broker (Apache Kafka): redelivery, reminders, quiet hours."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from prometheus_client import generate_latest
from sqlmodel import col, select

from services.notifications.db.tables import Notification, ScheduledMessage
from services.notifications.main import create_app
from services.notifications.service import delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import (
    DEPOK,
    JAYAPURA,
    MAKASSAR,
    confirmed,
    publish,
    registered,
    rescheduled,
    scheduled,
)
from tests.support import eventually, migrate, running, settings_for

pytestmark = pytest.mark.broker


async def rows(app, model, *where):
    async with app.state.runtime.read_sessionmaker() as s:
        return list((await s.execute(select(model).where(*where))).scalars())


async def test_same_event_delivered_twice_makes_exactly_one_message(broker, database_url, registry):
    await migrate("notifications", database_url)
    settings = settings_for(
        "notifications",
        database_url=database_url,
        bootstrap=broker.bootstrap,
        registry_url=registry.url,
        training_url=registry.url,
        dispatch_interval_s=0.1,
    )
    app = create_app(settings, clock=FrozenClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC)))
    async with running("notifications", settings, app=app):
        vid, event_id = registry.add(DEPOK), uuid.uuid4()
        await publish(broker.bootstrap, registered(vid), event_id=event_id)
        await publish(broker.bootstrap, registered(vid), event_id=event_id)

        async def skipped() -> bool:
            text = generate_latest(app.state.runtime.metrics.registry).decode()
            return (
                'psm_inbox_duplicates_skipped_total{consumer="notifications",event_type="volunteer-registered"} 1.0'
                in text
            )

        async def sent() -> list[Notification]:
            return await rows(app, Notification, col(Notification.status) == "sent")

        await eventually(skipped, message="second delivery skipped by the inbox")
        [note] = await eventually(sent, message="welcome sent by the dispatcher loop")
        assert note.trigger_event_id == event_id
        assert len(await rows(app, Notification)) == 1
        assert len(app.state.service.dev_messages) == 1


async def test_reminders_move_with_the_session_and_wait_out_quiet_hours_in_each_zone(
    broker, postgres_url, registry
):
    database_url = postgres_url
    await migrate("notifications", database_url)
    settings = settings_for(
        "notifications",
        database_url=database_url,
        bootstrap=broker.bootstrap,
        registry_url=registry.url,
        training_url=registry.url,
    )
    clock = FrozenClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock, run_dispatcher=False)
    async with running("notifications", settings, app=app):
        sid = uuid.uuid4()
        people = {registry.add(v): v for v in (DEPOK, MAKASSAR, JAYAPURA)}
        await publish(broker.bootstrap, scheduled(sid, date(2026, 12, 10)), event_id=uuid.uuid4())
        for vid in people:
            await publish(broker.bootstrap, confirmed(sid, vid), event_id=uuid.uuid4())

        async def pending_reminders() -> list[datetime]:
            found = await rows(
                app,
                ScheduledMessage,
                col(ScheduledMessage.session_id) == sid,
                col(ScheduledMessage.status) == "pending",
            )
            return sorted(m.due_at.astimezone(UTC) for m in found)

        async def first_plan() -> bool:
            return await pending_reminders() == [
                datetime(2026, 12, 7, 2, 0, tzinfo=UTC),  # 09:00 WIB, 3 days before
                datetime(2026, 12, 9, 2, 0, tzinfo=UTC),  # 09:00 WIB, 1 day before
            ]

        await eventually(first_plan, message="reminders scheduled from session-scheduled")
        moved = rescheduled(sid, date(2026, 12, 17), previous=date(2026, 12, 10))
        await publish(broker.bootstrap, moved, event_id=uuid.uuid4())

        async def second_plan() -> bool:
            return await pending_reminders() == [
                datetime(2026, 12, 14, 2, 0, tzinfo=UTC),
                datetime(2026, 12, 16, 2, 0, tzinfo=UTC),
            ]

        await eventually(second_plan, message="reminders moved with the session")

        async def all_enrolled() -> bool:
            confirmations = col(Notification.template) == "enrolment-confirmed"
            return len(await rows(app, Notification, confirmations)) == 3

        await eventually(all_enrolled, message="three confirmations in the ledger")

        # The old dates pass: nothing is released for them.
        clock.set(datetime(2026, 12, 9, 3, 0, tzinfo=UTC))
        assert (await delivery.dispatch_once(app.state.service))["released"] == 0

        # 14 Dec 13:30 UTC = 20:30 WIB, 21:30 WITA, 22:30 WIT: the 3-day reminder is due.
        clock.set(datetime(2026, 12, 14, 13, 30, tzinfo=UTC))
        assert (await delivery.dispatch_once(app.state.service))["released"] == 1
        reminders = await rows(app, Notification, col(Notification.template) == "session-reminder")
        state = {people[n.recipient_id]: (n.status, n.next_attempt_at) for n in reminders}
        assert state[DEPOK][0] == "sent"
        assert state[MAKASSAR] == ("deferred", datetime(2026, 12, 14, 22, 0, tzinfo=UTC))
        assert state[JAYAPURA] == ("deferred", datetime(2026, 12, 14, 21, 0, tzinfo=UTC))

        clock.set(datetime(2026, 12, 14, 22, 0, tzinfo=UTC))
        await delivery.dispatch_once(app.state.service)
        reminders = await rows(app, Notification, col(Notification.template) == "session-reminder")
        assert sorted(n.status for n in reminders) == ["sent", "sent", "sent"]
        bodies = [
            m["body"] for m in app.state.service.dev_messages if m["template"] == "session-reminder"
        ]
        assert len(bodies) == 3 and all("3 hari lagi, Kamis, 17 Desember 2026" in b for b in bodies)
