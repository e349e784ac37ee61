"""A person's Bimtek enrolments for the console's person page: any operator role, viewers
included (the full data-subject records, scores and attendance, stay with writers)."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from services.training.db.tables import Enrolment, TrainingSession
from services.training.domain.enums import (
    CancelReason,
    EnrolmentStatus,
    Level,
    ParticipantOutcome,
    SessionStatus,
)
from services.training.domain.errors import VolunteerNotFound
from services.training.service.volunteers import get_known_volunteer
from shared.auth import CurrentPrincipal
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


class VolunteerEnrolment(BaseModel):
    """One enrolment of the person and the session it is in (no scores, no attendance)."""

    id: uuid.UUID
    session_id: uuid.UUID
    course_code: str
    level: Level
    title: str
    start_date: date
    end_date: date
    session_status: SessionStatus
    session_in_scope: bool = Field(
        description="whether the session's organiser lies in your scope (you may open it)"
    )
    status: EnrolmentStatus
    waitlist_seq: int | None
    outcome: ParticipantOutcome | None
    cancel_reason: CancelReason | None


@router.get(
    "/{volunteer_id}/enrolments",
    response_model=list[VolunteerEnrolment],
    summary="A person's Bimtek enrolments (any operator role)",
)
@raises(VolunteerNotFound)
async def list_enrolments(
    volunteer_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> list[VolunteerEnrolment]:
    """Every enrolment of a volunteer in your region, oldest session first: session, course,
    level, dates, status and outcome. Outside your region: the 404 of an unknown id, as for
    `GET /volunteers/{id}`. A session organised elsewhere (a province's batch) is listed with
    `session_in_scope` false."""
    await get_known_volunteer(session, volunteer_id, principal=principal)
    rows = (
        await session.execute(
            select(Enrolment, TrainingSession)
            .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
            .where(col(Enrolment.volunteer_id) == volunteer_id)
            .order_by(col(TrainingSession.start_date), col(Enrolment.created_at))
        )
    ).all()
    return [
        VolunteerEnrolment(
            id=enrolment.id,
            session_id=held.id,
            course_code=held.course_code,
            level=held.level,
            title=held.title,
            start_date=held.start_date,
            end_date=held.end_date,
            session_status=held.status,
            session_in_scope=principal.sees(held.organiser_region_code),
            status=enrolment.status,
            waitlist_seq=enrolment.waitlist_seq,
            outcome=enrolment.outcome,
            cancel_reason=enrolment.cancel_reason,
        )
        for enrolment, held in rows
    ]
