"""notifications' own tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.notifications.domain.enums import (
    AttemptOutcome,
    Category,
    ChannelName,
    EnrolmentStatus,
    NotificationStatus,
    OptOutCategory,
    OptOutChannel,
    Priority,
    RecipientKind,
    ScheduledKind,
    ScheduledStatus,
    SessionCancelReason,
    SessionStatus,
)
from shared.columns import enum_field, one_of
from shared.db import new_registry
from shared.inbox import define_inbox
from shared.outbox import define_outbox


class NotificationsModel(SQLModel, registry=new_registry()):
    """Base of notifications's tables: its own metadata."""


metadata = NotificationsModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


class Notification(NotificationsModel, table=True):
    """The delivery ledger: one row per (triggering event, recipient, template).

    Status: pending → sending → sent | failed | suppressed | cancelled; `deferred`
    (quiet hours, rate limit) and `retry` (transient failure) wait for next_attempt_at.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("trigger_event_id", "recipient_id", "template"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        # The dispatcher's order: most urgent first, then the longest due (`claim_due`).
        Index("ix_notifications_priority_due", "priority", "next_attempt_at"),
        CheckConstraint(
            "priority IN ({})".format(", ".join(str(int(p)) for p in Priority)), name="priority"
        ),
        one_of("status", NotificationStatus),
        one_of("recipient_kind", RecipientKind),
        one_of("category", Category),
        one_of("channel", ["", *ChannelName]),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    trigger_event_id: uuid.UUID
    recipient_id: uuid.UUID = Field(index=True)
    template: str = Field(max_length=80)
    channel: str = Field(max_length=20)
    status: NotificationStatus = enum_field(NotificationStatus, 20, index=True)
    body: str
    created_at: datetime
    sent_at: datetime | None = None
    recipient_kind: RecipientKind = enum_field(RecipientKind, 20, default=RecipientKind.VOLUNTEER)
    template_version: int = 1
    category: Category = enum_field(Category, 30, default=Category.ACCOUNT)
    priority: int = Priority.TRANSACTIONAL  # a Priority, stored as its number
    session_id: uuid.UUID | None = Field(default=None, index=True)
    region_code: str | None = Field(default=None, max_length=20, index=True)
    context: str = "{}"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    provider_id: str | None = Field(default=None, max_length=200)
    last_error: str | None = None
    resent_count: int = 0


class DeliveryAttempt(NotificationsModel, table=True):
    """Each try on one channel: what was tried, the provider's id, the outcome."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (one_of("channel", ChannelName), one_of("outcome", AttemptOutcome))

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    notification_id: uuid.UUID = Field(index=True)
    channel: ChannelName = enum_field(ChannelName, 20)
    outcome: AttemptOutcome = enum_field(AttemptOutcome, 20)
    provider_id: str | None = Field(default=None, max_length=200)
    error: str | None = None
    attempted_at: datetime


class Contact(NotificationsModel, table=True):
    """Local copy of the contact details registry handed us (personal data: erased on request)."""

    __tablename__ = "contacts"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    full_name: str
    phone: str | None = None
    email: str | None = None
    province_code: str = Field(max_length=2)
    fetched_at: datetime


class Recipient(NotificationsModel, table=True):
    """Read model of volunteers from registry events (no personal data): for segments."""

    __tablename__ = "recipients"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    village_code: str = Field(max_length=20, index=True)
    regency_code: str = Field(max_length=10)
    province_code: str = Field(max_length=2)
    # registry's status list (VolunteerStatus), kept as text: registry owns and may extend it.
    status: str = Field(max_length=20)
    training_level: str | None = Field(default=None, max_length=20)
    channel_order: str | None = Field(default=None, max_length=100)
    # the volunteer's own quiet hours (local hours, from their page); None: the settings'
    quiet_start_hour: int | None = None
    quiet_end_hour: int | None = None
    updated_at: datetime


class OptOut(NotificationsModel, table=True):
    """A volunteer does not want `category` on `channel` ('*' = every channel)."""

    __tablename__ = "opt_outs"
    __table_args__ = (one_of("category", OptOutCategory), one_of("channel", OptOutChannel))

    volunteer_id: uuid.UUID = Field(primary_key=True)
    category: OptOutCategory = enum_field(OptOutCategory, 30, primary_key=True)
    channel: OptOutChannel = enum_field(OptOutChannel, 20, primary_key=True)


class TrainingSession(NotificationsModel, table=True):
    """Read model of Bimtek sessions (what a message about a session needs to say).

    Dates, zone and status come from training's events. `title` and `venue_name` are a
    copy of what training serves at `/internal/sessions/{id}` (the events no longer carry
    them), fetched at `texts_fetched_at`; each schedule or reschedule event bumps
    `texts_version`, which makes the copy stale and keeps a fetch begun before the event
    from being stored after it.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        one_of("status", SessionStatus),
        one_of("cancel_reason_code", SessionCancelReason),
    )

    session_id: uuid.UUID = Field(primary_key=True)
    title: str = ""
    level: str = Field(default="dasar", max_length=20)
    venue_name: str = ""
    start_date: date | None = None
    end_date: date | None = None
    timezone: str = Field(default="Asia/Jakarta", max_length=40)
    status: SessionStatus = enum_field(SessionStatus, 20, default=SessionStatus.SCHEDULED)
    cancel_reason_code: SessionCancelReason | None = enum_field(
        SessionCancelReason, 40, default=None, nullable=True
    )
    texts_version: int = 0
    texts_fetched_at: datetime | None = None


class Enrolment(NotificationsModel, table=True):
    """Read model of enrolments: who is to be reminded of, or told about, a session."""

    __tablename__ = "enrolments"
    __table_args__ = (one_of("status", EnrolmentStatus),)

    enrolment_id: uuid.UUID = Field(primary_key=True)
    session_id: uuid.UUID = Field(index=True)
    volunteer_id: uuid.UUID = Field(index=True)
    status: EnrolmentStatus = enum_field(EnrolmentStatus, 20)
    reason_code: str | None = Field(default=None, max_length=40)


class ScheduledMessage(NotificationsModel, table=True):
    """A message due later (session reminders); the dispatcher fans it out when due."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        Index("ix_scheduled_messages_due", "status", "due_at"),
        one_of("kind", ScheduledKind),
        one_of("status", ScheduledStatus),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: ScheduledKind = enum_field(ScheduledKind, 40)
    session_id: uuid.UUID | None = Field(default=None, index=True)
    template: str = Field(max_length=80)
    context: str = "{}"
    due_at: datetime
    status: ScheduledStatus = enum_field(ScheduledStatus, 20, default=ScheduledStatus.PENDING)
    created_at: datetime
    done_at: datetime | None = None


class Broadcast(NotificationsModel, table=True):
    """An operator's message to a segment, kept for audit."""

    __tablename__ = "broadcasts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    operator: str = Field(max_length=200)
    operator_scope: str = Field(max_length=20)
    region_code: str = Field(max_length=20)
    status: str | None = Field(default=None, max_length=20)
    training_level: str | None = Field(default=None, max_length=20)
    message: str
    recipients: int = 0
    created_at: datetime


class RateLimit(NotificationsModel, table=True):
    """A channel's token bucket, shared by every dispatcher of this service (all replicas).

    `tokens` as of `refilled_at` (POSIX seconds of the taking process's clock); a dispatcher
    refills and takes in one write transaction (row lock on PostgreSQL, the write lock on
    SQLite), so the replicas together never send more than the provider's rate.
    """

    __tablename__ = "rate_limits"

    channel: str = Field(primary_key=True, max_length=20)
    tokens: float
    refilled_at: float
