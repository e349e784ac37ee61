"""Events published by training. No personal data and no free text: ids, codes, levels,
dates and counts only (what people type, such as a session's title, organiser or venue,
stays in training, which serves it to authorised callers at `/internal/sessions/{id}`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.base import Event
from shared.events.vocabulary import (
    CertificateRevokeReason,
    CourseCode,
    EnrolmentCancelReason,
    OrganiserRegionCode,
    RegencyCode,
    ReopenReason,
    ResultReason,
    SessionCancelReason,
    Timezone,
    VillageCode,
)

SESSIONS_TOPIC = "training.sessions"
ENROLMENTS_TOPIC = "training.enrolments"
CERTIFICATES_TOPIC = "training.certificates"

Level = Literal["dasar", "lanjutan", "khusus"]
#: the typed names version 1 of `session-scheduled` and `session-rescheduled` carried
TYPED_SESSION_TEXT = frozenset({"title", "organiser_agency", "venue_name"})


def _reason_as_code(data: Any) -> Any:
    """Read a version 1 payload (the free-text `reason`, still on the topics' older records)
    as the code `other`; its text is dropped, not carried into the reader's state."""
    if isinstance(data, dict) and "reason_code" not in data and "reason" in data:
        return {k: v for k, v in data.items() if k != "reason"} | {"reason_code": "other"}
    return data


def _without_typed_text(data: Any) -> Any:
    """Read a version 1 session payload (title, organiser, venue name as an operator typed
    them, still on the topic's older records) without its text: dropped, never kept."""
    if isinstance(data, dict) and TYPED_SESSION_TEXT & data.keys():
        return {k: v for k, v in data.items() if k not in TYPED_SESSION_TEXT}
    return data


class SessionEvent(Event):
    """An event of one Bimtek session; keyed by the session id, so a session's events stay in order."""

    topic: ClassVar[str] = SESSIONS_TOPIC
    key_field: ClassVar[str] = "session_id"

    session_id: uuid.UUID


class SessionScheduled(SessionEvent):
    """A Bimtek batch opened for enrolment (reminders are scheduled from its dates).

    Version 2: no title, organiser name or venue name (text an operator types); the
    course, the organiser's region and the venue's village say what and where. Training
    serves the texts to services holding `sessions:read` (`GET /internal/sessions/{id}`).
    """

    event_type: ClassVar[str] = "session-scheduled"
    schema_version: ClassVar[int] = 2

    @model_validator(mode="before")
    @classmethod
    def _read_v1(cls, data: Any) -> Any:
        return _without_typed_text(data)

    course_code: CourseCode
    level: Level
    organiser_region_code: OrganiserRegionCode
    venue_village_code: VillageCode
    start_date: date
    end_date: date
    capacity: int
    timezone: Timezone = Field(
        description="IANA zone of the venue: Asia/Jakarta, Asia/Makassar or Asia/Jayapura"
    )


class SessionRescheduled(SessionEvent):
    """A session moved to other dates or another venue (reminders follow the new dates).

    Version 2: no venue name (see `SessionScheduled`); the venue's village code stays.
    """

    event_type: ClassVar[str] = "session-rescheduled"
    schema_version: ClassVar[int] = 2

    @model_validator(mode="before")
    @classmethod
    def _read_v1(cls, data: Any) -> Any:
        return _without_typed_text(data)

    start_date: date
    end_date: date
    previous_start_date: date
    previous_end_date: date
    venue_village_code: VillageCode
    timezone: Timezone


class SessionCancelled(SessionEvent):
    """A session will not take place; its enrolments are cancelled with it.

    The reason is a code; the organiser's own words stay in training (its `cancel_note`).
    """

    event_type: ClassVar[str] = "session-cancelled"
    schema_version: ClassVar[int] = 2

    reason_code: SessionCancelReason

    @model_validator(mode="before")
    @classmethod
    def _read_v1(cls, data: Any) -> Any:
        return _reason_as_code(data)

    cancelled_at: datetime


class RegionResult(BaseModel):
    """Participants, passes and failures of one regency in a completed session."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    participants: int
    passed: int
    failed: int


class SessionCompleted(SessionEvent):
    """A session ended: its counts overall and per regency, and mean test scores."""

    event_type: ClassVar[str] = "session-completed"

    course_code: CourseCode
    level: Level
    participants: int
    passed: int
    failed: int
    by_region: dict[RegencyCode, RegionResult] = Field(
        description="Keyed by regency code (e.g. '32.76')"
    )
    mean_pre_score: float | None = None
    mean_post_score: float | None = None
    mean_improvement: float | None = None
    completed_at: datetime


class SessionReopened(SessionEvent):
    """A completed session is back in progress for correction (attendance or scores):
    its participants' results may change when it is completed again, which publishes a
    new `participant-evaluated` per participant (and certificates issued or revoked)."""

    event_type: ClassVar[str] = "session-reopened"

    reason_code: ReopenReason
    reopened_at: datetime
    window_ends_at: datetime | None = Field(
        default=None,
        description="until when the session could be re-opened (the correction window)",
    )


class EnrolmentEvent(Event):
    """An event of one enrolment; keyed by the volunteer id, so a person's events stay in order."""

    topic: ClassVar[str] = ENROLMENTS_TOPIC
    key_field: ClassVar[str] = "volunteer_id"

    enrolment_id: uuid.UUID
    session_id: uuid.UUID
    volunteer_id: uuid.UUID


class EnrolmentConfirmed(EnrolmentEvent):
    """A volunteer has a seat in a session (directly or from the waitlist)."""

    event_type: ClassVar[str] = "enrolment-confirmed"

    from_waitlist: bool = False
    confirmed_at: datetime


class EnrolmentWaitlisted(EnrolmentEvent):
    """A session was full: the volunteer waits at the given position."""

    event_type: ClassVar[str] = "enrolment-waitlisted"

    position: int
    waitlisted_at: datetime


class EnrolmentCancelled(EnrolmentEvent):
    """An enrolment ended before the session, for a reason from a closed list."""

    event_type: ClassVar[str] = "enrolment-cancelled"

    reason_code: EnrolmentCancelReason
    cancelled_at: datetime


class ParticipantEvaluated(EnrolmentEvent):
    """A participant's result, one per participant each time a session is completed (the
    first completion is evaluation 1; each completion after a re-opening adds 1).

    Why it did not pass is a list of codes (every rule missed) with the figures behind them:
    days attended against the days required, the post-test score against the pass mark.
    A pass also gets `certificate-issued` (on `training.certificates`).
    """

    event_type: ClassVar[str] = "participant-evaluated"

    course_code: CourseCode
    level: Level
    passed: bool
    reasons: list[ResultReason] = Field(
        description="empty when passed; else every rule missed (a closed list that may grow)"
    )
    days_attended: int = Field(ge=0, description="days present, late or left early")
    session_days: int = Field(ge=0, description="days of the session")
    days_required: int = Field(ge=0, description="days to attend at least (the course minimum)")
    post_test_score: float | None = Field(description="null: no post-test score recorded")
    pass_mark: int
    evaluation: int = Field(ge=1, description="1 at the first completion, +1 per re-evaluation")
    previous_passed: bool | None = Field(
        default=None,
        description="the result of this participant's previous evaluation; null at the first",
    )
    evaluated_at: datetime


class CertificateEvent(Event):
    """An event of one certificate; keyed by the volunteer id."""

    topic: ClassVar[str] = CERTIFICATES_TOPIC
    key_field: ClassVar[str] = "volunteer_id"

    certificate_id: uuid.UUID
    volunteer_id: uuid.UUID


class CertificateIssued(CertificateEvent):
    """A volunteer passed a Bimtek; registry turns a passed `dasar` into candidate → active."""

    event_type: ClassVar[str] = "certificate-issued"

    session_id: uuid.UUID
    course_code: CourseCode
    level: Level
    certificate_number: str
    verification_code: str
    issued_at: datetime
    valid_until: date | None = None
    supersedes: uuid.UUID | None = None


class CertificateRevoked(CertificateEvent):
    """A certificate is no longer valid (public verification says so from now on).

    The reason is a code; the operator's own words stay in training (its `revoked_note`).
    """

    event_type: ClassVar[str] = "certificate-revoked"
    schema_version: ClassVar[int] = 2

    level: Level
    reason_code: CertificateRevokeReason

    @model_validator(mode="before")
    @classmethod
    def _read_v1(cls, data: Any) -> Any:
        return _reason_as_code(data)

    revoked_at: datetime
