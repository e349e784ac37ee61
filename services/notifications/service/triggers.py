"""What each upstream event means for notifications: read models, ledger rows, reminders."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.config import Settings
from services.notifications.db.tables import ScheduledMessage, TrainingSession
from services.notifications.domain import dates
from services.notifications.domain import templates as t
from services.notifications.domain.enums import (
    EnrolmentStatus,
    ScheduledKind,
    SessionCancelReason,
    SessionStatus,
    VolunteerStatus,
)
from services.notifications.domain.rules import days_until, reminder_times
from services.notifications.service import ledger, readmodel
from shared.events import registry as reg
from shared.events import training as tr


async def volunteer_registered(
    session: AsyncSession, event: reg.VolunteerRegistered, *, event_id: uuid.UUID, now: datetime
) -> None:
    """Record the candidate for segments and welcome them."""
    await readmodel.upsert_recipient(
        session,
        volunteer_id=event.volunteer_id,
        village_code=event.village_code,
        regency_code=event.regency_code,
        province_code=event.province_code,
        status=event.status,
        now=now,
    )
    await ledger.enqueue(
        session,
        trigger_event_id=event_id,
        recipient_id=event.volunteer_id,
        template=t.REGISTRATION_RECEIVED,
        region_code=event.village_code,
        now=now,
    )


async def volunteers_registered(
    session: AsyncSession,
    events: list[tuple[reg.VolunteerRegistered, uuid.UUID]],
    *,
    now: datetime,
) -> None:
    """`volunteer_registered` for a batch: two statements instead of three per event."""
    await readmodel.upsert_recipients(
        session,
        [
            {
                "volunteer_id": e.volunteer_id,
                "village_code": e.village_code,
                "regency_code": e.regency_code,
                "province_code": e.province_code,
                "status": e.status,
                "updated_at": now,
            }
            for e, _ in events
        ],
    )
    await ledger.enqueue_many(
        session,
        [
            {
                "trigger_event_id": event_id,
                "recipient_id": e.volunteer_id,
                "region_code": e.village_code,
            }
            for e, event_id in events
        ],
        template=t.REGISTRATION_RECEIVED,
        now=now,
    )


async def volunteer_status_changed(
    session: AsyncSession, event: reg.VolunteerStatusChanged, *, event_id: uuid.UUID, now: datetime
) -> None:
    """Track the status; congratulate a volunteer who became an active PSM."""
    await readmodel.set_status(
        session,
        volunteer_id=event.volunteer_id,
        status=event.new_status,
        province_code=event.province_code,
        regency_code=event.regency_code,
        now=now,
    )
    active = VolunteerStatus.ACTIVE
    if event.new_status == active and event.old_status != active:
        await ledger.enqueue(
            session,
            trigger_event_id=event_id,
            recipient_id=event.volunteer_id,
            template=t.STATUS_ACTIVE,
            now=now,
        )


async def volunteer_transferred(
    session: AsyncSession, event: reg.VolunteerTransferred, *, now: datetime
) -> None:
    """Follow the volunteer to their new village (segments, scope)."""
    await readmodel.upsert_recipient(
        session,
        volunteer_id=event.volunteer_id,
        village_code=event.village_code,
        regency_code=event.regency_code,
        province_code=event.province_code,
        status=None,
        now=now,
    )


async def volunteer_profile_updated(
    session: AsyncSession, event: reg.VolunteerProfileUpdated
) -> None:
    """Contact details changed at registry: drop our copy so the next message reads fresh ones."""
    if set(event.changed_fields) & readmodel.CONTACT_FIELDS:
        await readmodel.forget_contact(session, event.volunteer_id)


async def session_scheduled(
    session: AsyncSession, event: tr.SessionScheduled, *, settings: Settings, now: datetime
) -> None:
    """Remember the session and schedule its reminders; its title and venue are read from
    training when a message is written (`service.session_texts`)."""
    await readmodel.upsert_session(
        session,
        session_id=event.session_id,
        level=event.level,
        start_date=event.start_date,
        end_date=event.end_date,
        timezone=event.timezone,
        status=SessionStatus.SCHEDULED,
    )
    await readmodel.texts_changed(session, event.session_id)
    await schedule_reminders(
        session, event.session_id, event.start_date, event.timezone, settings=settings, now=now
    )


async def session_rescheduled(
    session: AsyncSession,
    event: tr.SessionRescheduled,
    *,
    event_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> None:
    """New dates or venue: every participant and waitlisted person is told (critical, once
    per move: the event id is the trigger), the old reminders are cancelled and new ones
    scheduled (one at once if the new start is too near for any), and the copy of the title
    and venue is stale (the next message reads them from training)."""
    await readmodel.upsert_session(
        session,
        session_id=event.session_id,
        start_date=event.start_date,
        end_date=event.end_date,
        timezone=event.timezone,
        status=SessionStatus.SCHEDULED,
    )
    await readmodel.texts_changed(session, event.session_id)
    await schedule_reminders(
        session,
        event.session_id,
        event.start_date,
        event.timezone,
        settings=settings,
        now=now,
        late_reminder=True,
    )
    waiting = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)
    for e in await readmodel.enrolled(session, event.session_id, statuses=waiting):
        await ledger.enqueue(
            session,
            trigger_event_id=event_id,
            recipient_id=e.volunteer_id,
            template=t.SESSION_RESCHEDULED,
            context={
                "semula": dates.hari_tanggal(event.previous_start_date),
                "menunggu": e.status == EnrolmentStatus.WAITLISTED,
            },
            session_id=event.session_id,
            now=now,
        )


async def schedule_reminders(
    session: AsyncSession,
    session_id: uuid.UUID,
    start: date,
    zone: str,
    *,
    settings: Settings,
    now: datetime,
    late_reminder: bool = False,
) -> int:
    """Replace the session's pending reminders; a reminder whose moment has passed is skipped.

    `late_reminder` (a moved session): when every reminder's moment has passed but the
    session has not started, one reminder is due at once, so a session moved to tomorrow
    (or today) is still reminded of.
    """
    await readmodel.cancel_pending_reminders(session, session_id)
    due = reminder_times(
        start,
        zone,
        days=settings.reminder_days,
        local_hour=settings.reminder_local_hour,
    )
    upcoming = [(days, at) for days, at in due if at > now]
    left = days_until(start, zone, now)
    if not upcoming and late_reminder and left >= 0:
        upcoming = [(left, now)]
    for days, at in upcoming:
        session.add(
            ScheduledMessage(
                kind=ScheduledKind.SESSION_REMINDER,
                session_id=session_id,
                template=t.SESSION_REMINDER,
                context=json.dumps({"hari": days}),
                due_at=at,
                created_at=now,
            )
        )
    await session.flush()
    return len(upcoming)


# training's reason code of an enrolment cancelled with its session.
CANCELLED_WITH_SESSION = "session_cancelled"
CANCELLATION = uuid.UUID("0b7f8a52-3c1e-4d7e-9a61-2f4f1c9e8d20")


def cancellation_trigger(session_id: uuid.UUID) -> uuid.UUID:
    """One trigger id per cancelled session, whichever event tells us about a participant.

    Why not the event id: training emits `session-cancelled` (sessions topic) and one
    `enrolment-cancelled` per participant (enrolments topic); the two topics are not ordered
    relative to each other, so a participant may be learnt of by either. The shared id keeps
    it to one message per person.
    """
    return uuid.uuid5(CANCELLATION, str(session_id))


async def tell_cancellation(
    session: AsyncSession,
    session_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    reason_code: SessionCancelReason | None,
    now: datetime,
) -> None:
    """Queue the (critical) cancellation message for one participant, once; the reason is
    told in words chosen from its code."""
    await ledger.enqueue(
        session,
        trigger_event_id=cancellation_trigger(session_id),
        recipient_id=volunteer_id,
        template=t.SESSION_CANCELLED,
        context={"alasan": t.cancel_reason_text(reason_code)},
        session_id=session_id,
        now=now,
    )


async def session_cancelled(
    session: AsyncSession, event: tr.SessionCancelled, *, now: datetime
) -> None:
    """Critical: everyone enrolled or waiting is told, whatever their opt-outs."""
    await readmodel.set_session_status(
        session, event.session_id, SessionStatus.CANCELLED, cancel_reason_code=event.reason_code
    )
    await readmodel.cancel_pending_reminders(session, event.session_id)
    enrolments = await readmodel.enrolled(
        session, event.session_id, statuses=tuple(EnrolmentStatus)
    )
    for e in enrolments:
        if e.status == EnrolmentStatus.CANCELLED and e.reason_code != CANCELLED_WITH_SESSION:
            continue
        await tell_cancellation(session, event.session_id, e.volunteer_id, event.reason_code, now)


async def session_completed(session: AsyncSession, event: tr.SessionCompleted) -> None:
    """No reminders after the end."""
    await readmodel.set_session_status(session, event.session_id, SessionStatus.COMPLETED)
    await readmodel.cancel_pending_reminders(session, event.session_id)


async def enrolment_confirmed(
    session: AsyncSession, event: tr.EnrolmentConfirmed, *, event_id: uuid.UUID, now: datetime
) -> None:
    """Confirmed (or promoted from the waitlist): tell the volunteer."""
    await readmodel.upsert_enrolment(
        session,
        enrolment_id=event.enrolment_id,
        session_id=event.session_id,
        volunteer_id=event.volunteer_id,
        status=EnrolmentStatus.CONFIRMED,
        reason_code=None,
    )
    if await readmodel.session_status(session, event.session_id) == SessionStatus.CANCELLED:
        return  # the session was cancelled meanwhile: its cancellation is the message
    await ledger.enqueue(
        session,
        trigger_event_id=event_id,
        recipient_id=event.volunteer_id,
        template=t.PROMOTED_FROM_WAITLIST if event.from_waitlist else t.ENROLMENT_CONFIRMED,
        session_id=event.session_id,
        now=now,
    )


async def enrolment_waitlisted(
    session: AsyncSession, event: tr.EnrolmentWaitlisted, *, event_id: uuid.UUID, now: datetime
) -> None:
    """Full session: tell the volunteer their place in the queue."""
    await readmodel.upsert_enrolment(
        session,
        enrolment_id=event.enrolment_id,
        session_id=event.session_id,
        volunteer_id=event.volunteer_id,
        status=EnrolmentStatus.WAITLISTED,
        reason_code=None,
    )
    await ledger.enqueue(
        session,
        trigger_event_id=event_id,
        recipient_id=event.volunteer_id,
        template=t.ENROLMENT_WAITLISTED,
        context={"posisi": event.position},
        session_id=event.session_id,
        now=now,
    )


async def enrolment_cancelled(
    session: AsyncSession, event: tr.EnrolmentCancelled, *, now: datetime
) -> None:
    """No message of its own; but if the session's cancellation was consumed before this
    participant was known, they are told now (same trigger: still one message)."""
    await readmodel.upsert_enrolment(
        session,
        enrolment_id=event.enrolment_id,
        session_id=event.session_id,
        volunteer_id=event.volunteer_id,
        status=EnrolmentStatus.CANCELLED,
        reason_code=event.reason_code,
    )
    if event.reason_code != CANCELLED_WITH_SESSION:
        return
    found = await session.get(TrainingSession, event.session_id)
    if found is not None and found.status == SessionStatus.CANCELLED:
        await tell_cancellation(
            session, event.session_id, event.volunteer_id, found.cancel_reason_code, now
        )


async def certificate_issued(
    session: AsyncSession,
    event: tr.CertificateIssued,
    *,
    event_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> None:
    """Send the verification code and link; the level counts for segments."""
    await readmodel.raise_level(session, volunteer_id=event.volunteer_id, level=event.level)
    link = f"{settings.public_verify_url.rstrip('/')}/{event.verification_code}"
    await ledger.enqueue(
        session,
        trigger_event_id=event_id,
        recipient_id=event.volunteer_id,
        template=t.CERTIFICATE_ISSUED,
        context={
            "tingkat": event.level,
            "nomor": event.certificate_number,
            "kode": event.verification_code,
            "tautan": link,
        },
        session_id=event.session_id,
        now=now,
    )


async def certificate_revoked(session: AsyncSession, event: tr.CertificateRevoked) -> None:
    """The level no longer counts for segments."""
    await readmodel.drop_level(session, volunteer_id=event.volunteer_id, level=event.level)
