"""A volunteer's own training records, upcoming sessions and certificates, with their
volunteer token (from a one-time link): the id is the token's subject, never a request
parameter, so a volunteer reads only their own."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.training.api import subject_records as records_api
from services.training.api.deps import State
from services.training.db.tables import Certificate, Course, TrainingSession
from services.training.domain.certificates import display_code
from services.training.domain.enums import (
    ACTIVE_ENROLMENT,
    Level,
    PublicCertificateStatus,
    SessionStatus,
)
from services.training.domain.errors import CertificateNotFound, VolunteerNotFound
from services.training.service import certificates
from shared.auth import CurrentVolunteer, Principal, Role
from shared.deps import ReadSession
from shared.i18n import t
from shared.problems import raises

router = APIRouter(prefix="/me", tags=["volunteer page"])

#: sessions still ahead of (or under way for) a participant
UPCOMING = (SessionStatus.OPEN, SessionStatus.IN_PROGRESS)


class OwnRecords(records_api.TrainingRecords):
    """Everything training holds about the volunteer, and the sessions still ahead."""

    upcoming: list[records_api.EnrolmentRecord] = Field(
        description="confirmed or waitlisted places in sessions not ended yet"
    )


class OwnCertificate(BaseModel):
    """What a certificate PDF prints (the holder's name comes from registry's /me)."""

    id: uuid.UUID
    number: str
    course_title: str
    level: Level
    hours: int
    session_title: str
    start_date: date
    end_date: date
    issuer: str
    issued_on: date
    valid_until: date | None
    display_code: str
    verification_code: str
    status: PublicCertificateStatus


def _reader(principal: CurrentVolunteer) -> Principal:
    """The records use-case's principal for the volunteer's own id: a region check is moot
    when the id is the token's subject, so a national viewer reads that one person."""
    return Principal(subject=principal.subject, role=Role.VIEWER, scope="national")


@router.get("/records", response_model=OwnRecords, summary="Own training records")
@raises(VolunteerNotFound)
async def own_records(
    principal: CurrentVolunteer, session: ReadSession, state: State
) -> OwnRecords:
    """Enrolments (with attendance, scores, outcome), certificates, and upcoming sessions."""
    volunteer_id = uuid.UUID(principal.subject)
    found = await records_api.get_records(volunteer_id, _reader(principal), session)
    today = state.clock.today()
    upcoming = [
        e
        for e in found.enrolments
        if e.status in ACTIVE_ENROLMENT
        and e.session.status in UPCOMING
        and e.session.end_date >= today
    ]
    return OwnRecords(**dict(found), upcoming=upcoming)


async def _own_certificate(
    session: AsyncSession, volunteer_id: uuid.UUID, certificate_id: uuid.UUID
) -> Certificate:
    cert = await session.get(Certificate, certificate_id)
    if cert is None or cert.volunteer_id != volunteer_id:
        raise CertificateNotFound(t("Sertifikat tidak ditemukan", "certificate not found"))
    return cert


@router.get(
    "/certificates/{certificate_id}",
    response_model=OwnCertificate,
    summary="One own certificate, as printed",
)
@raises(CertificateNotFound)
async def own_certificate(
    certificate_id: uuid.UUID, principal: CurrentVolunteer, session: ReadSession, state: State
) -> OwnCertificate:
    """What the volunteer's certificate PDF prints (only a certificate of their own)."""
    cert = await _own_certificate(session, uuid.UUID(principal.subject), certificate_id)
    content: dict[str, Any] = json.loads(cert.canonical)
    course = await session.get(Course, cert.course_code)
    training = await session.get(TrainingSession, cert.session_id)
    return OwnCertificate(
        id=cert.id,
        number=cert.number,
        course_title=content.get("course_title") or (course.title if course else cert.course_code),
        level=cert.level,
        hours=int(content.get("hours") or (course.hours if course else 0)),
        session_title=content.get("session_title") or (training.title if training else ""),
        start_date=date.fromisoformat(content["session_dates"][0]),
        end_date=date.fromisoformat(content["session_dates"][1]),
        issuer=cert.issuer,
        issued_on=cert.issued_at.date(),
        valid_until=cert.valid_until,
        display_code=display_code(cert.verification_code),
        verification_code=cert.verification_code,
        status=certificates.public_status(cert, today=state.clock.today()),
    )
