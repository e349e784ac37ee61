"""The closed lists of notifications: statuses, channels, outcomes, kinds (stored as strings)."""

from __future__ import annotations

import enum

# Re-exported: the event vocabulary's lists, one definition for every service.
from shared.events.vocabulary import SessionCancelReason as SessionCancelReason
from shared.events.vocabulary import TrainingLevel as TrainingLevel
from shared.events.vocabulary import VolunteerStatus as VolunteerStatus


class ChannelName(enum.StrEnum):
    """A way to reach a person."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


class NotificationStatus(enum.StrEnum):
    """Where a ledger row stands: pending → sending → sent | failed | suppressed | cancelled.

    `deferred` (quiet hours, rate limit) and `retry` (transient failure) wait for their time.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"
    RETRY = "retry"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"


# Rows the dispatcher takes when their next attempt is due.
WAITING = (NotificationStatus.PENDING, NotificationStatus.DEFERRED, NotificationStatus.RETRY)
# Rows not yet delivered that an erasure must stop.
UNDELIVERED = (*WAITING, NotificationStatus.SENDING)
# Rows an operator may not resend: one in flight, or one an erasure stopped.
NOT_RESENDABLE = (NotificationStatus.SENDING, NotificationStatus.CANCELLED)


class AttemptOutcome(enum.StrEnum):
    """What one try on one channel gave."""

    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class RecipientKind(enum.StrEnum):
    """Who a ledger row is for."""

    VOLUNTEER = "volunteer"
    OPERATOR = "operator"


class ScheduledKind(enum.StrEnum):
    """What a scheduled message is."""

    SESSION_REMINDER = "session-reminder"
    OPERATOR_DIGEST = "operator-digest"


class ScheduledStatus(enum.StrEnum):
    """A scheduled message waits, was fanned out, or was called off."""

    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class SessionStatus(enum.StrEnum):
    """A training session as the read model knows it."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class EnrolmentStatus(enum.StrEnum):
    """An enrolment as the read model knows it."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class SegmentStatus(enum.StrEnum):
    """The statuses a broadcast may be sent to (never to the deceased)."""

    CANDIDATE = "candidate"
    ACTIVE = "active"
    INACTIVE = "inactive"
    RESIGNED = "resigned"
    REVOKED = "revoked"


class Category(enum.StrEnum):
    """What a template is about; a volunteer may opt out of any but `critical`."""

    ACCOUNT = "account"
    TRAINING = "training"
    CRITICAL = "critical"
    REMINDER = "reminder"
    DIGEST = "digest"
    BROADCAST = "broadcast"


class OptOutCategory(enum.StrEnum):
    """A category a volunteer may opt out of, or `*` for all of them."""

    ALL = "*"
    ACCOUNT = "account"
    TRAINING = "training"
    REMINDER = "reminder"
    DIGEST = "digest"
    BROADCAST = "broadcast"


class OptOutChannel(enum.StrEnum):
    """A channel a volunteer may opt out on, or `*` for every channel."""

    ALL = "*"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


class Priority(enum.IntEnum):
    """Which messages the dispatcher takes first: lower goes first (stored as its number, so
    the database orders by it).

    critical: a cancellation, a session moved; transactional: enrolment, result, reminder,
    certificate; bulk: welcome waves, broadcasts, the digest.
    """

    CRITICAL = 0
    TRANSACTIONAL = 1
    BULK = 2
