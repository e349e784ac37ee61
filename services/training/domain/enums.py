"""The closed lists of training: statuses, levels, outcomes and reasons (stored as strings)."""

from __future__ import annotations

import enum

# Re-exported: the event vocabulary's lists, one definition for every service.
from shared.events.vocabulary import CertificateRevokeReason as CertificateRevokeReason
from shared.events.vocabulary import EnrolmentCancelReason as EnrolmentCancelReason
from shared.events.vocabulary import ReopenReason as ReopenReason
from shared.events.vocabulary import ResultReason as ResultReason
from shared.events.vocabulary import SessionCancelReason as SessionCancelReason
from shared.events.vocabulary import TrainingLevel as TrainingLevel
from shared.events.vocabulary import VolunteerStatus as VolunteerStatus

# training's name for the Bimtek level of a course, session or certificate
Level = TrainingLevel


class OrganiserLevel(enum.StrEnum):
    """Who may organise a course: the ministry, a province or a regency."""

    NATIONAL = "national"
    PROVINCE = "province"
    REGENCY = "regency"


class SessionStatus(enum.StrEnum):
    """Where a session stands: draft → open → in_progress → completed; cancelled before."""

    DRAFT = "draft"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# A session whose dates, venue and seats may still change (and whose places a leaving
# volunteer gives up).
NOT_STARTED = (SessionStatus.DRAFT, SessionStatus.OPEN)


class EnrolmentStatus(enum.StrEnum):
    """A place (confirmed), a waitlist entry, or either one cancelled."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# Enrolments that hold a place or a waitlist position.
ACTIVE_ENROLMENT = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)


# training's name for why an enrolment was cancelled (published in `enrolment-cancelled`)
CancelReason = EnrolmentCancelReason


class OperatorCancelReason(enum.StrEnum):
    """The reasons an operator may give when cancelling an enrolment."""

    WITHDRAWN = "withdrawn"
    OPERATOR = "operator"


class EnrolmentDecision(enum.StrEnum):
    """What an enrolment request gave."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"


class ParticipantOutcome(enum.StrEnum):
    """A participant's result when the session completes."""

    PASSED = "passed"
    FAILED = "failed"


class AttendanceStatus(enum.StrEnum):
    """One participant on one day."""

    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"
    EXCUSED = "excused"


# Statuses that count as having attended the day.
ATTENDED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY})


class CertificateStatus(enum.StrEnum):
    """A certificate as stored: valid until revoked or superseded by a re-issue."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class PublicCertificateStatus(enum.StrEnum):
    """A certificate as a verifier sees it: a valid one past its date shows as expired."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


# Registry statuses that end a volunteer's places in sessions not yet started.
LEAVING_STATUSES = frozenset(
    {
        VolunteerStatus.INACTIVE,
        VolunteerStatus.RESIGNED,
        VolunteerStatus.REVOKED,
        VolunteerStatus.DECEASED,
    }
)


class ReasonCode(enum.StrEnum):
    """Why a volunteer may not enrol in a session."""

    UNKNOWN_VOLUNTEER = "unknown_volunteer"
    ALREADY_ENROLLED = "already_enrolled"
    STATUS_NOT_ALLOWED = "status_not_allowed"
    PREREQUISITE_MISSING = "prerequisite_missing"
    ALREADY_CERTIFIED = "already_certified"
    OUTSIDE_ELIGIBLE_REGIONS = "outside_eligible_regions"
    OUTSIDE_QUOTAS = "outside_quotas"


class CompletionForceReason(enum.StrEnum):
    """Why a session is completed before its last day (`force: true`)."""

    ENDED_EARLY = "ended_early"
    RECORDS_COMPLETE = "records_complete"
    OTHER = "other"
