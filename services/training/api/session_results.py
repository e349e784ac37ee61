"""A session's results: attendance per day, pre/post test scores, completion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictFloat

from services.training.api.deps import State
from services.training.domain.enums import (
    AttendanceStatus,
    Level,
)
from services.training.domain.errors import (
    DayOutsideSession,
    EnrolmentNotFound,
    NotAParticipant,
    SessionNotFound,
    WrongSessionStatus,
)
from services.training.service import completion
from shared.auth import Writer
from shared.deps import Session
from shared.fields import IsoDate
from shared.problems import raises

router = APIRouter(prefix="/sessions", tags=["sessions"])
Percent = Annotated[StrictFloat, Field(ge=0, le=100)]


class Mark(BaseModel):
    """One participant's attendance."""

    enrolment_id: uuid.UUID
    status: AttendanceStatus


class AttendanceSheet(BaseModel):
    """A day's attendance: one participant or the whole sheet."""

    marks: list[Mark] = Field(min_length=1, max_length=5000)


class Recorded(BaseModel):
    """How many rows were recorded."""

    recorded: int


@router.put(
    "/{session_id}/attendance/{day}",
    response_model=Recorded,
    summary="Record a day's attendance (one participant or the whole sheet)",
)
@raises(SessionNotFound, WrongSessionStatus, DayOutsideSession, EnrolmentNotFound, NotAParticipant)
async def record_attendance(
    session_id: uuid.UUID,
    day: IsoDate,
    body: AttendanceSheet,
    principal: Writer,
    session: Session,
    state: State,
) -> Recorded:
    """Record (or correct) attendance on a day of a session in progress."""
    async with session.begin():
        count = await completion.record_attendance(
            session,
            principal=principal,
            session_id=session_id,
            day=day,
            marks=[(m.enrolment_id, m.status) for m in body.marks],
            now=state.clock.now(),
        )
    return Recorded(recorded=count)


class Score(BaseModel):
    """One participant's pre- and/or post-test score (null leaves it unchanged)."""

    enrolment_id: uuid.UUID
    pre_score: Percent | None = None
    post_score: Percent | None = None


class ScoreSheet(BaseModel):
    """Scores of one or more participants."""

    scores: list[Score] = Field(min_length=1, max_length=5000)


@router.put(
    "/{session_id}/scores",
    response_model=Recorded,
    summary="Record test scores",
)
@raises(SessionNotFound, WrongSessionStatus, EnrolmentNotFound, NotAParticipant)
async def record_scores(
    session_id: uuid.UUID, body: ScoreSheet, principal: Writer, session: Session, state: State
) -> Recorded:
    """Record pre-test and post-test scores of a session in progress."""
    async with session.begin():
        count = await completion.record_scores(
            session,
            principal=principal,
            session_id=session_id,
            scores=[(s.enrolment_id, s.pre_score, s.post_score) for s in body.scores],
            now=state.clock.now(),
        )
    return Recorded(recorded=count)


class RegionResultPublic(BaseModel):
    """Participants of one regency and how they did."""

    participants: int
    passed: int
    failed: int


class SessionSummary(BaseModel):
    """A completed session's counts, overall and per regency, and mean test scores."""

    session_id: uuid.UUID
    course_code: str
    level: Level
    participants: int
    passed: int
    failed: int
    by_region: dict[str, RegionResultPublic]
    mean_pre_score: float | None
    mean_post_score: float | None
    mean_improvement: float | None
    completed_at: datetime


@router.post(
    "/{session_id}/complete",
    response_model=SessionSummary,
    summary="Evaluate participants and issue certificates",
)
@raises(SessionNotFound, WrongSessionStatus)
async def complete(
    session_id: uuid.UUID, principal: Writer, session: Session, state: State
) -> SessionSummary:
    """Idempotent: completing again returns the same summary and issues nothing."""
    async with session.begin():
        summary = await completion.complete(
            session,
            principal=principal,
            session_id=session_id,
            signer=state.signer,
            now=state.clock.now(),
        )
    return SessionSummary.model_validate(summary)
