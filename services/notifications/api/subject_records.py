"""A person's notifications records for their data-subject export (operators, scoped)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.notifications.api.deps import State
from services.notifications.api.preferences import OptOutItem
from services.notifications.domain.enums import (
    AttemptOutcome,
    Category,
    ChannelName,
    EnrolmentStatus,
    NotificationStatus,
)
from services.notifications.domain.errors import VolunteerNotFound
from services.notifications.service import subject_records
from shared.auth import Writer
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["preferences"])


class RecipientRecord(BaseModel):
    """The person as notifications knows them from registry's events."""

    volunteer_id: uuid.UUID
    village_code: str
    regency_code: str
    province_code: str
    status: str
    training_level: str | None
    updated_at: datetime


class QuietHoursRecord(BaseModel):
    """No message is delivered between these hours of the person's own time zone."""

    start_hour: int
    end_hour: int
    timezone: str


class ContactRecord(BaseModel):
    """The copy of the contact details registry handed notifications (to address messages)."""

    full_name: str
    phone: str | None
    email: str | None
    fetched_at: datetime


class EnrolmentRecord(BaseModel):
    """A Bimtek place notifications follows (for reminders and session news)."""

    enrolment_id: uuid.UUID
    session_id: uuid.UUID
    status: EnrolmentStatus


class AttemptRecord(BaseModel):
    """One try on one channel."""

    channel: ChannelName
    outcome: AttemptOutcome
    attempted_at: datetime


class MessageRecord(BaseModel):
    """A message to the person in the delivery ledger, with its rendered text."""

    id: uuid.UUID
    template: str
    category: Category
    session_id: uuid.UUID | None
    channel: ChannelName | Literal[""] = Field(description='"" until a channel was tried')
    status: NotificationStatus
    body: str = Field(description="the text as rendered for delivery (empty until rendered)")
    created_at: datetime
    sent_at: datetime | None
    attempts: list[AttemptRecord]


class NotificationsRecords(BaseModel):
    """Everything notifications holds about one person."""

    recipient: RecipientRecord
    channel_order: list[ChannelName]
    opt_outs: list[OptOutItem]
    quiet_hours: QuietHoursRecord
    contact: ContactRecord | None
    enrolments: list[EnrolmentRecord]
    messages: list[MessageRecord]


@router.get(
    "/{volunteer_id}/records",
    response_model=NotificationsRecords,
    summary="Everything notifications holds about one person (data-subject access)",
)
@raises(VolunteerNotFound)
async def get_records(
    volunteer_id: uuid.UUID, session: ReadSession, principal: Writer, state: State
) -> NotificationsRecords:
    """Preferences, quiet hours, the contact copy and every message addressed to a volunteer
    in your region (404 outside it, as for an unknown id). Registry's
    `GET /volunteers/{id}/export` gathers this with the operator's own token."""
    settings = state.notifications_settings
    found = await subject_records.records_of(
        session,
        volunteer_id,
        principal=principal,
        default_channel_order=settings.default_channel_order,
        quiet_start_hour=settings.quiet_start_hour,
        quiet_end_hour=settings.quiet_end_hour,
    )
    return NotificationsRecords(
        recipient=RecipientRecord.model_validate(found.recipient, from_attributes=True),
        channel_order=found.preferences["channel_order"],
        opt_outs=[OptOutItem.model_validate(o) for o in found.preferences["opt_outs"]],
        quiet_hours=QuietHoursRecord.model_validate(found.quiet_hours, from_attributes=True),
        contact=(
            ContactRecord.model_validate(found.contact, from_attributes=True)
            if found.contact is not None
            else None
        ),
        enrolments=[
            EnrolmentRecord.model_validate(e, from_attributes=True) for e in found.enrolments
        ],
        messages=[
            MessageRecord(
                **{
                    name: getattr(m.notification, name)
                    for name in MessageRecord.model_fields
                    if name != "attempts"
                },
                attempts=[
                    AttemptRecord.model_validate(a, from_attributes=True) for a in m.attempts
                ],
            )
            for m in found.messages
        ],
    )
