"""The closed lists and code formats the events speak in, shared by every service that reads
or writes them.

Registry owns the volunteer lifecycle and publishes its statuses; training publishes the
Bimtek level of a session or certificate; the consumers keep the same values in their read
models. One definition, so a value added here is added everywhere at once.

Public events carry no free text (it is where personal data leaks): a reason is a code from
one of these lists, a region is a Kemendagri code of a fixed shape; what an operator typed
stays in the owning service's database. `tests/contract/test_no_free_text.py` checks every
event of the catalogue.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import Field

from shared.regions import Timezone as Timezone

#: Kemendagri codes by level (`32`, `32.76`, `32.76.01`, `32.76.01.1001`); ASCII digits only
ProvinceCode = Annotated[str, Field(pattern=r"^[0-9]{2}$")]
RegencyCode = Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}$")]
DistrictCode = Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$")]
VillageCode = Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$")]
#: a Bimtek course's code, as a national admin defines it (e.g. `BIMTEK-DASAR`)
CourseCode = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,50}$")]
#: who organises a session: `national` (the ministry), a province or a regency
OrganiserRegionCode = Annotated[str, Field(pattern=r"^(national|[0-9]{2}(\.[0-9]{2})?)$")]

#: as encoded in the NIK: L (laki-laki) or P (perempuan)
Sex = Literal["L", "P"]


class VolunteerStatus(enum.StrEnum):
    """Where a PSM stands in the lifecycle of Permensos 10/2019."""

    CANDIDATE = "candidate"
    ACTIVE = "active"
    INACTIVE = "inactive"
    RESIGNED = "resigned"
    REVOKED = "revoked"
    DECEASED = "deceased"


class TrainingLevel(enum.StrEnum):
    """A Bimtek level, lowest first (the order is the ranking)."""

    DASAR = "dasar"
    LANJUTAN = "lanjutan"
    KHUSUS = "khusus"


class StatusChangeReason(enum.StrEnum):
    """Why a volunteer's status changed (`volunteer-status-changed`); what an operator typed
    stays in registry's history."""

    BIMTEK_DASAR_PASSED = "bimtek_dasar_passed"
    OPERATOR_VERIFIED = "operator_verified"
    RESIGNED_BY_REQUEST = "resigned_by_request"
    MOVED_AWAY = "moved_away"
    NO_LONGER_ACTIVE = "no_longer_active"
    REINSTATED = "reinstated"
    MISCONDUCT = "misconduct"
    DECEASED = "deceased"
    DATA_CORRECTION = "data_correction"
    OTHER = "other"


class EnrolmentCancelReason(enum.StrEnum):
    """Why an enrolment was cancelled (`enrolment-cancelled`)."""

    WITHDRAWN = "withdrawn"
    OPERATOR = "operator"
    SESSION_CANCELLED = "session_cancelled"
    VOLUNTEER_INACTIVE = "volunteer_inactive"
    VOLUNTEER_ERASED = "volunteer_erased"


class SessionCancelReason(enum.StrEnum):
    """Why a Bimtek session was cancelled (`session-cancelled`); the organiser's own words
    stay in training's note."""

    VENUE_UNAVAILABLE = "venue_unavailable"
    TRAINER_UNAVAILABLE = "trainer_unavailable"
    TOO_FEW_PARTICIPANTS = "too_few_participants"
    DISASTER_OR_EMERGENCY = "disaster_or_emergency"
    BUDGET = "budget"
    RESCHEDULED = "rescheduled"
    OTHER = "other"


class CertificateRevokeReason(enum.StrEnum):
    """Why a certificate was revoked (`certificate-revoked`, public verification); the
    operator's own words stay in training's note."""

    ISSUED_IN_ERROR = "issued_in_error"
    ATTENDANCE_FALSIFIED = "attendance_falsified"
    TEST_RESULT_FALSIFIED = "test_result_falsified"
    IDENTITY_MISMATCH = "identity_mismatch"
    DUPLICATE = "duplicate"
    OTHER = "other"


class ReopenReason(enum.StrEnum):
    """Why a completed session was re-opened for correction (`session-reopened`)."""

    ATTENDANCE_WRONG = "attendance_wrong"
    SCORES_WRONG = "scores_wrong"
    COMPLETED_TOO_EARLY = "completed_too_early"
    OTHER = "other"


class ResultReason(enum.StrEnum):
    """Why a participant did not pass a Bimtek (`participant-evaluated`); every rule the
    participant missed is listed, in this order."""

    ATTENDANCE_BELOW_MINIMUM = "attendance_below_minimum"
    NO_POST_TEST = "no_post_test"
    POST_TEST_BELOW_PASS_MARK = "post_test_below_pass_mark"  # noqa: S105 - not a password
