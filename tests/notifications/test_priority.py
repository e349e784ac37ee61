"""Item 9 of issue 13: urgent before bulk. Each message has a priority class (critical,
transactional, bulk) and the dispatcher takes critical before transactional before bulk,
so a cancellation never waits behind a welcome wave."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import col, select

from services.notifications.db.tables import Notification
from services.notifications.domain import templates
from services.notifications.domain.enums import NotificationStatus, Priority
from services.notifications.service import delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import (
    DEPOK,
    cancelled,
    confirmed,
    consume,
    notifications_app,
    queue_welcome_wave,
    registered,
    scheduled,
)

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB
BACKLOG = 20_000


def test_each_template_has_its_priority_class():
    assert templates.get(templates.SESSION_CANCELLED).priority is Priority.CRITICAL
    for name in (templates.ENROLMENT_CONFIRMED, templates.SESSION_REMINDER):
        assert templates.get(name).priority is Priority.TRANSACTIONAL
    for name in (templates.REGISTRATION_RECEIVED, templates.BROADCAST):
        assert templates.get(name).priority is Priority.BULK


async def test_urgent_before_bulk_a_cancellation_goes_out_in_the_next_batch_behind_20000_welcomes(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid, vid = uuid.uuid4(), registry.add(DEPOK, name="Siti Aminah")
        await consume(app, registered(vid))
        await consume(app, scheduled(sid, date(2026, 12, 1)))
        await consume(app, confirmed(sid, vid))
        started = time.perf_counter()
        await queue_welcome_wave(app, BACKLOG, due=MORNING_WIB - timedelta(hours=1))
        print(f"\n{BACKLOG} welcome messages queued in {time.perf_counter() - started:.2f} s")

        clock.advance(timedelta(minutes=1))
        await consume(app, cancelled(sid))
        queued = time.perf_counter()
        claimed = await delivery.deliver_due(app.state.service, clock.now())
        waited = time.perf_counter() - queued

        async with app.state.runtime.sessionmaker() as session:
            notes = (
                await session.execute(
                    select(Notification).where(col(Notification.recipient_id) == vid)
                )
            ).scalars()
            by_template = {n.template: n for n in notes}
            still_waiting = (
                await session.execute(
                    text("SELECT count(*) FROM notifications WHERE status = 'pending'")
                )
            ).scalar_one()
        print(f"cancellation behind {BACKLOG} bulk messages: sent after {waited:.3f} s")
        batch = app.state.service.notifications_settings.dispatch_batch_size
        # the batch: the cancellation, the enrolment message, then 98 of the wave (the
        # participant's own welcome, due after the wave, waits with the rest)
        assert claimed == batch and still_waiting == BACKLOG - (batch - 2) + 1
        assert by_template[templates.SESSION_CANCELLED].status == NotificationStatus.SENT
        assert "DIBATALKAN" in by_template[templates.SESSION_CANCELLED].body
        # transactional overtakes bulk too: the enrolment message left in the same batch
        assert by_template[templates.ENROLMENT_CONFIRMED].status == NotificationStatus.SENT


async def test_the_dispatcher_takes_critical_then_transactional_then_bulk(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url, registry_url=registry.url, clock=clock, dispatch_batch_size=3
    ) as app:
        sid, vid = uuid.uuid4(), registry.add(DEPOK, name="Siti Aminah")
        await queue_welcome_wave(app, 5, due=MORNING_WIB - timedelta(hours=1))
        await consume(app, scheduled(sid, date(2026, 12, 1)))
        await consume(app, confirmed(sid, vid))
        await consume(app, cancelled(sid))
        rows = await delivery.claim_due(app.state.service, clock.now())
        assert [r.priority for r in rows] == [Priority.CRITICAL, Priority.TRANSACTIONAL, 2]
        # within a class, the longest due first
        assert rows[2].next_attempt_at is not None
