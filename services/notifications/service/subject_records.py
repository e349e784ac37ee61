"""Everything notifications holds about one person (data-subject access, UU 27/2022 on
personal data): the read-model row, channel order and opt-outs, the quiet hours that apply
to them, the copy of their contact details, the enrolments it follows, and every message in
the ledger addressed to them with each delivery attempt.

Scoped like notifications' other per-volunteer routes (`recipient_in_scope`): a person
outside the operator's region is the 404 of an unknown id. Every message to the person is
listed, whichever region it was sent in (a transferred person's older messages too).
notifications keeps no audit table; the read is logged with ids only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.db.tables import (
    Contact,
    DeliveryAttempt,
    Enrolment,
    Notification,
    Recipient,
)
from services.notifications.domain.enums import RecipientKind
from services.notifications.service import audience
from shared.identity import Principal
from shared.logging import get_logger
from shared.regions import timezone_of

log = get_logger("notifications.subject_records")


@dataclass(frozen=True)
class QuietHours:
    """No message is delivered between `start_hour` and `end_hour` in `timezone`."""

    start_hour: int
    end_hour: int
    timezone: str


@dataclass(frozen=True)
class MessageRecord:
    """A ledger row addressed to the person and its delivery attempts (oldest first)."""

    notification: Notification
    attempts: list[DeliveryAttempt]


@dataclass(frozen=True)
class SubjectRecords:
    """What notifications holds about one volunteer."""

    recipient: Recipient
    preferences: dict[str, Any]
    quiet_hours: QuietHours
    contact: Contact | None
    enrolments: list[Enrolment]
    messages: list[MessageRecord]


async def records_of(
    session: AsyncSession,
    volunteer_id: uuid.UUID,
    *,
    principal: Principal,
    default_channel_order: str,
    quiet_start_hour: int,
    quiet_end_hour: int,
) -> SubjectRecords:
    """The person's records if they are in the principal's scope (else VolunteerNotFound)."""
    recipient = await audience.recipient_in_scope(
        session, principal=principal, volunteer_id=volunteer_id
    )
    notes = list(
        (
            await session.execute(
                select(Notification)
                .where(col(Notification.recipient_id) == volunteer_id)
                .where(col(Notification.recipient_kind) == RecipientKind.VOLUNTEER)
                .order_by(col(Notification.created_at), col(Notification.id))
            )
        ).scalars()
    )
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] = defaultdict(list)
    if notes:
        tries = await session.execute(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.notification_id).in_([n.id for n in notes]))
            .order_by(col(DeliveryAttempt.attempted_at))
        )
        for attempt in tries.scalars():
            attempts[attempt.notification_id].append(attempt)
    enrolments = await session.execute(
        select(Enrolment).where(col(Enrolment.volunteer_id) == volunteer_id)
    )
    log.info("data-subject records read", volunteer_id=str(volunteer_id), messages=len(notes))
    return SubjectRecords(
        recipient=recipient,
        preferences=await audience.preferences(session, recipient, default_channel_order),
        quiet_hours=QuietHours(
            quiet_start_hour, quiet_end_hour, timezone_of(recipient.province_code)
        ),
        contact=await session.get(Contact, volunteer_id),
        enrolments=list(enrolments.scalars()),
        messages=[MessageRecord(n, attempts[n.id]) for n in notes],
    )
