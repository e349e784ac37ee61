"""training's own tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.training.domain.enums import (
    AttendanceStatus,
    CancelReason,
    CertificateRevokeReason,
    CertificateStatus,
    CompletionForceReason,
    EnrolmentStatus,
    Level,
    ParticipantOutcome,
    ReopenReason,
    SessionCancelReason,
    SessionStatus,
)
from shared.columns import enum_field, one_of
from shared.db import new_registry
from shared.inbox import define_inbox
from shared.outbox import define_outbox

#: the longest note an operator may keep with a cancellation or revocation
NOTE_MAX = 500


class TrainingModel(SQLModel, registry=new_registry()):
    """Base of training's tables: its own metadata."""


metadata = TrainingModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


class KnownVolunteer(TrainingModel, table=True):
    """training's read model of volunteers, built only from registry's events."""

    __tablename__ = "known_volunteers"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    village_code: str = Field(max_length=13)
    regency_code: str = Field(max_length=5, index=True)
    province_code: str = Field(max_length=2, index=True)
    status: str = Field(max_length=20)
    registered_at: datetime
    updated_at: datetime


class Course(TrainingModel, table=True):
    """A Bimtek curriculum. Its rules (who organises, pass marks, prerequisites) are data."""

    __tablename__ = "courses"
    __table_args__ = (one_of("level", Level), one_of("prerequisite_level", Level))

    code: str = Field(primary_key=True, max_length=50)
    level: Level = enum_field(Level, 10, index=True)
    title: str = Field(max_length=200)
    topic: str | None = Field(default=None, max_length=100)
    hours: int
    modules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_attendance_pct: int
    pass_mark: int
    validity_months: int | None = None
    prerequisite_level: Level | None = enum_field(Level, 10, default=None, nullable=True)
    organiser_levels: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    allowed_statuses: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    active: bool = True
    updated_at: datetime


class TrainingSession(TrainingModel, table=True):
    """A Bimtek batch."""

    __tablename__ = "sessions"
    __table_args__ = (
        one_of("level", Level),
        one_of("status", SessionStatus),
        one_of("cancel_reason_code", SessionCancelReason),
        one_of("completion_forced_reason", CompletionForceReason),
        one_of("reopen_reason_code", ReopenReason),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    course_code: str = Field(max_length=50, index=True)
    level: Level = enum_field(Level, 10)
    title: str = Field(max_length=200)
    organiser_agency: str = Field(max_length=200)
    organiser_region_code: str = Field(max_length=13, index=True)
    province_code: str = Field(max_length=10, index=True)
    venue_name: str = Field(max_length=200)
    venue_village_code: str = Field(max_length=13)
    start_date: date
    end_date: date = Field(index=True)
    capacity: int
    confirmed_count: int = 0
    quotas: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    eligible_regions: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    speakers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    agenda: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    status: SessionStatus = enum_field(SessionStatus, 20, index=True)
    cancel_reason_code: SessionCancelReason | None = enum_field(
        SessionCancelReason, 40, default=None, nullable=True
    )
    # what the organiser typed: training's own, never published
    cancel_note: str | None = Field(default=None, max_length=NOTE_MAX)
    summary: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: str = Field(max_length=100)
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    # set when completed before the last day (`force: true`)
    completion_forced_reason: CompletionForceReason | None = enum_field(
        CompletionForceReason, 40, default=None, nullable=True
    )
    # the first completion: the correction window runs from it
    first_completed_at: datetime | None = None
    # how many times it was completed (each completion after a re-opening evaluates again)
    evaluations: int = 0
    reopened_at: datetime | None = None
    reopen_reason_code: ReopenReason | None = enum_field(
        ReopenReason, 40, default=None, nullable=True
    )


class Enrolment(TrainingModel, table=True):
    """A volunteer's place (or waitlist position) in a session, tests and outcome."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("session_id", "volunteer_id"),
        one_of("status", EnrolmentStatus),
        one_of("outcome", ParticipantOutcome),
        one_of("cancel_reason", CancelReason),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(index=True, foreign_key="sessions.id")
    volunteer_id: uuid.UUID = Field(index=True)
    regency_code: str = Field(max_length=5)
    province_code: str = Field(max_length=2)
    status: EnrolmentStatus = enum_field(EnrolmentStatus, 20)
    waitlist_seq: int | None = None
    # the organisation quota the organiser nominated this place for (e.g. org:ipsm-pusat);
    # None: the volunteer's region decides the quota
    quota_key: str | None = Field(default=None, max_length=60)
    pre_score: float | None = None
    post_score: float | None = None
    outcome: ParticipantOutcome | None = enum_field(
        ParticipantOutcome, 10, default=None, nullable=True
    )
    outcome_reason: str | None = Field(default=None, max_length=300)
    cancel_reason: CancelReason | None = enum_field(CancelReason, 50, default=None, nullable=True)
    created_at: datetime
    updated_at: datetime


class Attendance(TrainingModel, table=True):
    """One participant's attendance on one day of a session."""

    __tablename__ = "attendance"
    __table_args__ = (one_of("status", AttendanceStatus),)

    enrolment_id: uuid.UUID = Field(primary_key=True, foreign_key="enrolments.id")
    day: date = Field(primary_key=True)
    status: AttendanceStatus = enum_field(AttendanceStatus, 20)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime


class Certificate(TrainingModel, table=True):
    """A signed certificate; `canonical` is exactly the signed text."""

    __tablename__ = "certificates"
    __table_args__ = (
        one_of("level", Level),
        one_of("status", CertificateStatus),
        one_of("revoked_reason_code", CertificateRevokeReason),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=80, unique=True)
    verification_code: str = Field(max_length=20, unique=True)
    volunteer_id: uuid.UUID = Field(index=True)
    enrolment_id: uuid.UUID = Field(index=True)
    session_id: uuid.UUID = Field(index=True)
    course_code: str = Field(max_length=50)
    level: Level = enum_field(Level, 10)
    regency_code: str = Field(max_length=5, index=True)
    province_code: str = Field(max_length=2, index=True)
    issuer: str = Field(max_length=200)
    issued_at: datetime
    valid_until: date | None = None
    status: CertificateStatus = enum_field(CertificateStatus, 20, index=True)
    supersedes: uuid.UUID | None = None
    superseded_by: uuid.UUID | None = None
    revoked_reason_code: CertificateRevokeReason | None = enum_field(
        CertificateRevokeReason, 40, default=None, nullable=True
    )
    # what the operator typed: training's own, never published nor shown to verifiers
    revoked_note: str | None = Field(default=None, max_length=NOTE_MAX)
    revoked_at: datetime | None = None
    canonical: str = Field(sa_column=Column(Text, nullable=False))
    signature: str = Field(max_length=200)
    key_id: str = Field(max_length=40)


class CertificateCounter(TrainingModel, table=True):
    """Last serial used per number prefix (e.g. BIMTEK-DASAR/32.76/2022)."""

    __tablename__ = "certificate_counters"

    prefix: str = Field(primary_key=True, max_length=60)
    last_serial: int = 0
