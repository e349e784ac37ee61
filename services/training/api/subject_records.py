"""A person's training records for their data-subject export (operators, region-scoped)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.training.domain.enums import (
    AttendanceStatus,
    CancelReason,
    CertificateRevokeReason,
    CertificateStatus,
    EnrolmentStatus,
    Level,
    ParticipantOutcome,
    SessionStatus,
)
from services.training.domain.errors import VolunteerNotFound
from services.training.service import subject_records
from shared.auth import Writer
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


class KnownVolunteerRecord(BaseModel):
    """The person as training knows them from registry's events (no name, no NIK)."""

    volunteer_id: uuid.UUID
    village_code: str
    regency_code: str
    province_code: str
    status: str
    registered_at: datetime
    updated_at: datetime


class SessionRecord(BaseModel):
    """The Bimtek session an enrolment is in."""

    id: uuid.UUID
    course_code: str
    level: Level
    title: str
    organiser_agency: str
    venue_name: str
    start_date: date
    end_date: date
    status: SessionStatus


class AttendanceRecord(BaseModel):
    """Attendance on one day of the session."""

    day: date
    status: AttendanceStatus
    recorded_at: datetime


class EnrolmentRecord(BaseModel):
    """A place or waitlist entry, its tests and outcome, and its attendance per day."""

    id: uuid.UUID
    session: SessionRecord
    status: EnrolmentStatus
    waitlist_seq: int | None
    quota_key: str | None = Field(description="the organisation quota it was nominated for")
    pre_score: float | None
    post_score: float | None
    outcome: ParticipantOutcome | None
    outcome_reason: str | None
    cancel_reason: CancelReason | None
    created_at: datetime
    updated_at: datetime
    attendance: list[AttendanceRecord]


class CertificateRecord(BaseModel):
    """A certificate issued to the person (revoked ones with the reason's code)."""

    id: uuid.UUID
    number: str
    verification_code: str
    session_id: uuid.UUID
    course_code: str
    level: Level
    issuer: str
    issued_at: datetime
    valid_until: date | None
    status: CertificateStatus
    revoked_reason_code: CertificateRevokeReason | None
    revoked_note: str | None = Field(description="the operator's own words; never published")
    revoked_at: datetime | None


class TrainingRecords(BaseModel):
    """Everything training holds about one person."""

    volunteer: KnownVolunteerRecord
    enrolments: list[EnrolmentRecord]
    certificates: list[CertificateRecord]


@router.get(
    "/{volunteer_id}/records",
    response_model=TrainingRecords,
    summary="Everything training holds about one person (data-subject access)",
)
@raises(VolunteerNotFound)
async def get_records(
    volunteer_id: uuid.UUID, principal: Writer, session: ReadSession
) -> TrainingRecords:
    """Enrolments (session, status, dates, quota), attendance per day, pre/post scores,
    outcomes and certificates of a volunteer in your region (404 outside it, as for an
    unknown id). Registry's `GET /volunteers/{id}/export` gathers this with the operator's
    own token."""
    found = await subject_records.records_of(session, volunteer_id, principal=principal)
    return TrainingRecords(
        volunteer=KnownVolunteerRecord.model_validate(found.volunteer, from_attributes=True),
        enrolments=[
            EnrolmentRecord(
                **{
                    name: getattr(r.enrolment, name)
                    for name in EnrolmentRecord.model_fields
                    if name not in ("session", "attendance")
                },
                session=SessionRecord.model_validate(r.session, from_attributes=True),
                attendance=[
                    AttendanceRecord.model_validate(a, from_attributes=True) for a in r.attendance
                ],
            )
            for r in found.enrolments
        ],
        certificates=[
            CertificateRecord.model_validate(c, from_attributes=True) for c in found.certificates
        ],
    )
