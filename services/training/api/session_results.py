"""A session's results: attendance per day, pre/post test scores, completion."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictFloat

from services.training.api.deps import Lang, State
from services.training.domain import completion as domain_completion
from services.training.domain.enums import (
    ATTENDED,
    AttendanceStatus,
    CompletionForceReason,
    Level,
    ParticipantOutcome,
    ReopenReason,
    ResultReason,
    SessionStatus,
)
from services.training.domain.errors import (
    CompletionTooEarly,
    DayOutsideSession,
    EnrolmentNotFound,
    InvalidField,
    NotAParticipant,
    ReopenWindowClosed,
    SessionNotFound,
    WrongSessionStatus,
)
from services.training.service import completion
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
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


class DayMarkPublic(BaseModel):
    """One participant's recorded presence on the day."""

    enrolment_id: uuid.UUID
    volunteer_id: uuid.UUID
    regency_code: str
    status: AttendanceStatus | None = Field(
        description="as recorded; null: nothing recorded for this participant on this day"
    )
    attended: bool | None = Field(
        description="whether the status counts as attending (present, late, left early); "
        "null when not recorded (completion counts it as not attended)"
    )
    recorded_at: datetime | None


class DayAttendance(BaseModel):
    """A day's attendance sheet as recorded: every confirmed participant, in enrolment
    order, with what was recorded for them (or null)."""

    session_id: uuid.UUID
    day: date
    participants: int
    recorded: int = Field(description="participants with a mark on this day")
    marks: list[DayMarkPublic]


@router.get(
    "/{session_id}/attendance/{day}",
    response_model=DayAttendance,
    summary="Read back a day's attendance (each participant: recorded status or null)",
)
@raises(SessionNotFound, DayOutsideSession)
async def read_attendance(
    session_id: uuid.UUID, day: IsoDate, principal: CurrentPrincipal, session: ReadSession
) -> DayAttendance:
    """What `PUT …/attendance/{day}` recorded, for every confirmed participant: the status,
    or null when nothing was recorded for them that day. The day must be one of the
    session's (422 naming `day`); any status of the session (before it starts, nobody has
    a mark)."""
    _, marks = await completion.attendance_of_day(
        session, principal=principal, session_id=session_id, day=day
    )
    rows = [
        DayMarkPublic(
            enrolment_id=m.enrolment.id,
            volunteer_id=m.enrolment.volunteer_id,
            regency_code=m.enrolment.regency_code,
            status=m.status,
            attended=None if m.status is None else m.status in ATTENDED,
            recorded_at=m.recorded_at,
        )
        for m in marks
    ]
    return DayAttendance(
        session_id=session_id,
        day=day,
        participants=len(rows),
        recorded=sum(r.status is not None for r in rows),
        marks=rows,
    )


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


class CompleteBody(BaseModel):
    """Completion before the session's last day must be forced, with a reason code."""

    force: bool = False
    reason_code: CompletionForceReason | None = Field(
        default=None, description="required with `force: true` before the last day"
    )


@router.post(
    "/{session_id}/complete",
    response_model=SessionSummary,
    summary="Evaluate participants and issue certificates",
)
@raises(SessionNotFound, WrongSessionStatus, CompletionTooEarly, InvalidField)
async def complete(
    session_id: uuid.UUID,
    principal: Writer,
    session: Session,
    state: State,
    body: CompleteBody | None = None,
) -> SessionSummary:
    """Refused (409) before the last day unless `force: true` with a `reason_code`; see
    `GET …/completion-preview` first. Publishes `session-completed` and one
    `participant-evaluated` per participant (passed or not, and why). Idempotent: completing
    again returns the same summary and issues nothing. After a re-opening it evaluates again
    (certificates issued or revoked with `issued_in_error`, a new evaluation published)."""
    body = body or CompleteBody()
    async with session.begin():
        summary = await completion.complete(
            session,
            principal=principal,
            session_id=session_id,
            signer=state.signer,
            now=state.clock.now(),
            today=state.clock.today(),
            force=body.force,
            reason_code=body.reason_code,
        )
    return SessionSummary.model_validate(summary)


class ParticipantPreview(BaseModel):
    """One participant as completion would judge them now, and why."""

    enrolment_id: uuid.UUID
    volunteer_id: uuid.UUID
    regency_code: str
    days_attended: int
    days: int
    attendance_pct: float
    post_score: float | None
    would_pass: bool
    reason: str = Field(description="the first rule missed (or the pass), in your language")
    reasons: list[ResultReason] = Field(
        description="every rule missed (empty when passing), as `participant-evaluated` says"
    )
    outcome: ParticipantOutcome | None = Field(description="the stored outcome, if completed")


class CompletionPreview(BaseModel):
    """Who would pass and why; whether completing now needs `force`."""

    session_id: uuid.UUID
    status: SessionStatus
    last_day: date
    needs_force: bool = Field(description="today is before the session's last day")
    min_attendance_pct: int
    pass_mark: int
    participants: int
    would_pass: int
    would_fail: int
    results: list[ParticipantPreview]


@router.get(
    "/{session_id}/completion-preview",
    response_model=CompletionPreview,
    summary="Who would pass and why, before completing",
)
@raises(SessionNotFound, WrongSessionStatus)
async def completion_preview(
    session_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: ReadSession,
    state: State,
    language: Lang,
) -> CompletionPreview:
    """Evaluates every confirmed participant (attendance, post-test) without changing
    anything; for a session in progress or completed."""
    today = state.clock.today()
    row, evaluations, course = await completion.preview(
        session, principal=principal, session_id=session_id
    )
    results = [
        ParticipantPreview(
            enrolment_id=ev.enrolment.id,
            volunteer_id=ev.enrolment.volunteer_id,
            regency_code=ev.enrolment.regency_code,
            days_attended=ev.days_attended,
            days=ev.days,
            attendance_pct=ev.attendance_pct,
            post_score=ev.enrolment.post_score,
            would_pass=ev.verdict.passed,
            reason=ev.verdict.reason.get(language),
            reasons=list(ev.verdict.reasons),
            outcome=ev.enrolment.outcome,
        )
        for ev in evaluations
    ]
    passing = sum(r.would_pass for r in results)
    return CompletionPreview(
        session_id=row.id,
        status=row.status,
        last_day=row.end_date,
        needs_force=today < row.end_date,
        min_attendance_pct=course.min_attendance_pct,
        pass_mark=course.pass_mark,
        participants=len(results),
        would_pass=passing,
        would_fail=len(results) - passing,
        results=results,
    )


class ReopenBody(BaseModel):
    """Why a completed session is re-opened for correction."""

    reason_code: ReopenReason


class Reopened(BaseModel):
    """A session back in progress for correction, and until when that was allowed."""

    session_id: uuid.UUID
    status: SessionStatus
    reopened_at: datetime
    reopen_reason_code: ReopenReason
    window_closed_at: datetime


@router.post(
    "/{session_id}/reopen",
    response_model=Reopened,
    summary="Re-open a completed session for correction (within the window)",
)
@raises(SessionNotFound, WrongSessionStatus, ReopenWindowClosed)
async def reopen(
    session_id: uuid.UUID, body: ReopenBody, principal: Writer, session: Session, state: State
) -> Reopened:
    """Back in progress: correct attendance and scores, then complete again. Allowed
    within `TRAINING_REOPEN_WINDOW_DAYS` of the first completion (else 409). Publishes
    `session-reopened` (its participants and waitlist are told results may change)."""
    window = state.training_settings.reopen_window_days
    async with session.begin():
        row = await completion.reopen(
            session,
            principal=principal,
            session_id=session_id,
            reason_code=body.reason_code,
            window_days=window,
            now=state.clock.now(),
        )
    assert row.reopened_at is not None and row.first_completed_at is not None  # noqa: S101
    return Reopened(
        session_id=row.id,
        status=row.status,
        reopened_at=row.reopened_at,
        reopen_reason_code=body.reason_code,
        window_closed_at=domain_completion.reopen_deadline(row.first_completed_at, window),
    )
