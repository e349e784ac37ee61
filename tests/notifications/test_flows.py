"""Training-triggered messages, erasure of queued messages, concurrent dispatchers, rate limits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlmodel import select

from services.notifications.db.tables import Notification, Recipient
from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.events import registry as reg
from shared.events import training as tr
from shared.events.vocabulary import SessionCancelReason
from tests.notifications.helpers import (
    DEPOK,
    cancelled,
    confirmed,
    consume,
    notifications_app,
    registered,
    scheduled,
)

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def ledger(app) -> dict[str, Notification]:
    async with app.state.runtime.read_sessionmaker() as s:
        return {n.template: n for n in (await s.execute(select(Notification))).scalars()}


async def test_waitlist_promotion_and_certificate_messages(database_url, registry):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        vid, sid, eid = registry.add(DEPOK), uuid.uuid4(), uuid.uuid4()
        await consume(app, registered(vid))
        await consume(app, scheduled(sid, datetime(2026, 12, 20).date()))
        await consume(
            app,
            tr.EnrolmentWaitlisted(
                enrolment_id=eid,
                session_id=sid,
                volunteer_id=vid,
                position=4,
                waitlisted_at=MORNING_WIB,
            ),
        )
        await consume(app, confirmed(sid, vid, from_waitlist=True))
        await consume(
            app,
            tr.CertificateIssued(
                certificate_id=uuid.uuid4(),
                volunteer_id=vid,
                session_id=sid,
                course_code="BMT-DASAR",
                level="dasar",
                certificate_number="BMT/3276/2026/0007",
                verification_code="Q7K2-99XA",
                issued_at=MORNING_WIB,
            ),
        )
        await delivery.dispatch_once(app.state.service)

        notes = await ledger(app)
        assert "daftar tunggu nomor 4" in notes["enrolment-waitlisted"].body
        assert (
            "ada tempat untuk Anda di Bimtek PSM Dasar Kota Depok"
            in notes["promoted-from-waitlist"].body
        )
        assert "enrolment-confirmed" not in notes
        cert = notes["certificate-issued"].body
        assert (
            "Q7K2-99XA" in cert and "https://psm.kemensos.example.id/sertifikat/Q7K2-99XA" in cert
        )
        async with app.state.runtime.read_sessionmaker() as s:
            assert (await s.get(Recipient, vid)).training_level == "dasar"


async def test_cancelled_session_reaches_people_whose_enrolment_was_cancelled_first(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid, vid, withdrew = uuid.uuid4(), registry.add(DEPOK), registry.add(DEPOK)
        await consume(app, scheduled(sid, datetime(2026, 12, 20).date()))
        first, second = confirmed(sid, vid), confirmed(sid, withdrew)
        await consume(app, first)
        await consume(app, second)
        await consume(
            app,
            tr.EnrolmentCancelled(
                enrolment_id=first.enrolment_id,
                session_id=sid,
                volunteer_id=vid,
                reason_code="session_cancelled",
                cancelled_at=MORNING_WIB,
            ),
        )
        await consume(
            app,
            tr.EnrolmentCancelled(
                enrolment_id=second.enrolment_id,
                session_id=sid,
                volunteer_id=withdrew,
                reason_code="withdrawn",
                cancelled_at=MORNING_WIB,
            ),
        )
        await consume(app, cancelled(sid))
        async with app.state.runtime.read_sessionmaker() as s:
            told = (
                await s.execute(
                    select(Notification.recipient_id).where(
                        Notification.template == "session-cancelled"
                    )
                )
            ).scalars()
            assert list(told) == [vid]


async def test_erasure_cancels_messages_still_waiting(database_url, registry):
    clock = FrozenClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 22:00 WIB: quiet
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        assert (await ledger(app))["registration-received"].status == "deferred"
        await consume(app, reg.VolunteerErased(volunteer_id=vid, erased_at=clock.now()))
        clock.set(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))
        await delivery.dispatch_once(app.state.service)
        note = (await ledger(app))["registration-received"]
        assert (note.status, note.body) == ("cancelled", "")
        assert not app.state.service.dev_messages


async def test_two_dispatchers_never_send_the_same_notification_twice(database_url, registry):
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=FrozenClock(MORNING_WIB),
        dispatch_batch_size=5,
    ) as app:
        for _ in range(12):
            vid = registry.add(DEPOK)
            await consume(app, registered(vid))
        for _ in range(3):
            await asyncio.gather(*(delivery.dispatch_once(app.state.service) for _ in range(2)))
        sent = [m["notification_id"] for m in app.state.service.dev_messages]
        assert len(sent) == 12 and len(set(sent)) == 12


async def test_a_busy_channel_defers_instead_of_dropping(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=clock,
        rate_limit_per_s={"whatsapp": 0.5, "sms": 0.5, "email": 0.5},
    ) as app:
        for _ in range(2):
            await consume(app, registered(registry.add(DEPOK)))
        await delivery.dispatch_once(app.state.service)
        async with app.state.runtime.read_sessionmaker() as s:
            statuses = sorted(n.status for n in (await s.execute(select(Notification))).scalars())
        assert statuses == ["deferred", "sent"]


async def test_participant_learnt_of_after_the_cancellation_is_told_once(database_url, registry):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        sid, vid = uuid.uuid4(), registry.add(DEPOK)
        await consume(app, scheduled(sid, datetime(2026, 12, 20).date()))
        cancellation = tr.SessionCancelled(
            session_id=sid,
            reason_code=SessionCancelReason.VENUE_UNAVAILABLE,
            cancelled_at=MORNING_WIB,
        )
        await consume(app, cancellation)  # sessions topic ran ahead of enrolments
        enrolment = confirmed(sid, vid)
        await consume(app, enrolment)
        withdrawn = tr.EnrolmentCancelled(
            enrolment_id=enrolment.enrolment_id,
            session_id=sid,
            volunteer_id=vid,
            reason_code="session_cancelled",
            cancelled_at=MORNING_WIB,
        )
        await consume(app, withdrawn)
        await consume(app, withdrawn)  # redelivered
        await delivery.dispatch_once(app.state.service)

        notes = await ledger(app)
        assert set(notes) == {"session-cancelled"}  # no "confirmed" for a cancelled session
        assert "Alasan: tempat pelaksanaan tidak tersedia" in notes["session-cancelled"].body
        assert len(app.state.service.dev_messages) == 1
