"""Sessions: scheduling and lifecycle, enrolment, attendance, tests, completion."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.training.db.tables import TrainingSession
from services.training.service import completion, enrolments, sessions
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session

router = APIRouter(prefix="/sessions", tags=["sessions"])
AttendanceStatus = Literal["present", "late", "left_early", "absent", "excused"]


class Speaker(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    institution: str = Field(min_length=1, max_length=200)


class AgendaItem(BaseModel):
    day: date
    time: str | None = Field(default=None, max_length=20, examples=["08:00-10:00"])
    topic: str = Field(min_length=1, max_length=300)
    speaker: str | None = Field(default=None, max_length=200)


class SessionDetails(BaseModel):
    venue_name: str = Field(min_length=1, max_length=200)
    venue_village_code: str = Field(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    start_date: date
    end_date: date
    capacity: int = Field(gt=0, le=5000)
    quotas: dict[str, int] = Field(default={}, examples=[{"32.75": 250, "32.16": 225}])
    eligible_regions: list[str] = Field(default=[], examples=[["32.76"]])
    speakers: list[Speaker] = []
    agenda: list[AgendaItem] = []


class SessionCreate(SessionDetails):
    course_code: str = Field(examples=["BIMTEK-DASAR"])
    title: str | None = Field(default=None, max_length=200)
    organiser_agency: str = Field(
        min_length=1, max_length=200, examples=["Dinas Sosial Kota Depok"]
    )
    organiser_region_code: str = Field(
        examples=["32.76"], description="'national', '32' or '32.76'"
    )


class SessionUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    venue_name: str | None = Field(default=None, min_length=1, max_length=200)
    venue_village_code: str | None = Field(default=None, pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    start_date: date | None = None
    end_date: date | None = None
    capacity: int | None = Field(default=None, gt=0, le=5000)
    quotas: dict[str, int] | None = None
    eligible_regions: list[str] | None = None
    speakers: list[Speaker] | None = None
    agenda: list[AgendaItem] | None = None


class SessionPublic(SessionCreate):
    id: uuid.UUID
    level: str
    title: str
    status: str
    cancel_reason: str | None
    confirmed_count: int
    summary: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    warnings: list[str] = []


def _data(body: BaseModel, *, exclude_unset: bool = False) -> dict[str, Any]:
    """Dates stay dates for their columns; the JSON columns get JSON-ready values."""
    data = body.model_dump(exclude_unset=exclude_unset)
    as_json = body.model_dump(mode="json", exclude_unset=exclude_unset)
    for field in ("agenda", "speakers", "quotas", "eligible_regions"):
        if field in data:
            data[field] = as_json[field]
    return data


def _public(row: TrainingSession, warnings: list[str] | None = None) -> SessionPublic:
    out = SessionPublic.model_validate(row, from_attributes=True)
    return out.model_copy(update={"warnings": warnings or []})


@router.post("", status_code=201, response_model=SessionPublic, summary="Schedule a draft session")
async def create(body: SessionCreate, principal: Writer, session: Session) -> SessionPublic:
    """Warnings (e.g. a date is a public holiday) are returned, never blocking."""
    async with session.begin():
        row, warnings = await sessions.create_session(session, principal, _data(body))
    return _public(row, warnings)


@router.get("", response_model=list[SessionPublic], summary="Sessions in your scope")
async def list_all(
    principal: CurrentPrincipal,
    session: ReadSession,
    status: str | None = None,
    year: int | None = None,
) -> list[SessionPublic]:
    rows = await sessions.list_sessions(session, principal, status=status, year=year)
    return [_public(r) for r in rows]


@router.get("/{session_id}", response_model=SessionPublic, summary="One session")
async def get_one(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> SessionPublic:
    from services.training.service.common import scoped_session

    return _public(await scoped_session(session, principal, session_id))


@router.patch("/{session_id}", response_model=SessionPublic, summary="Edit a draft or open session")
async def update(
    session_id: uuid.UUID, body: SessionUpdate, principal: Writer, session: Session
) -> SessionPublic:
    async with session.begin():
        row, warnings = await sessions.update_session(
            session, principal, session_id, _data(body, exclude_unset=True)
        )
    return _public(row, warnings)


@router.post("/{session_id}/open", response_model=SessionPublic, summary="Open for enrolment")
async def open_(session_id: uuid.UUID, principal: Writer, session: Session) -> SessionPublic:
    """Publishes `session-scheduled`."""
    async with session.begin():
        row = await sessions.move(session, principal, session_id, "open")
    return _public(row)


@router.post("/{session_id}/start", response_model=SessionPublic, summary="Start (in progress)")
async def start(session_id: uuid.UUID, principal: Writer, session: Session) -> SessionPublic:
    async with session.begin():
        row = await sessions.move(session, principal, session_id, "in_progress")
    return _public(row)


class CancelBody(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


@router.post("/{session_id}/cancel", response_model=SessionPublic, summary="Cancel with a reason")
async def cancel(
    session_id: uuid.UUID, body: CancelBody, principal: Writer, session: Session
) -> SessionPublic:
    """Publishes `session-cancelled` and `enrolment-cancelled` for every place."""
    async with session.begin():
        row = await sessions.cancel(session, principal, session_id, body.reason)
    return _public(row)


class EnrolBody(BaseModel):
    volunteer_id: uuid.UUID


class BulkEnrolBody(BaseModel):
    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class ReasonPublic(BaseModel):
    code: str
    message: str


class OutcomePublic(BaseModel):
    volunteer_id: uuid.UUID
    outcome: str
    enrolment_id: uuid.UUID | None
    position: int | None
    reasons: list[ReasonPublic]


def _outcome(o: enrolments.Outcome) -> OutcomePublic:
    return OutcomePublic(
        volunteer_id=o.volunteer_id,
        outcome=o.outcome,
        enrolment_id=o.enrolment_id,
        position=o.position,
        reasons=[ReasonPublic(code=r.code, message=r.message) for r in o.reasons],
    )


@router.post(
    "/{session_id}/enrolments",
    response_model=OutcomePublic,
    summary="Enrol one volunteer (confirmed, waitlisted, or rejected with reasons)",
)
async def enrol(
    session_id: uuid.UUID, body: EnrolBody, principal: Writer, session: Session
) -> OutcomePublic:
    async with session.begin():
        outcome = await enrolments.enrol(session, principal, session_id, body.volunteer_id)
    return _outcome(outcome)


@router.post(
    "/{session_id}/enrolments/bulk",
    response_model=list[OutcomePublic],
    summary="Enrol a list; one outcome per volunteer",
)
async def enrol_bulk(
    session_id: uuid.UUID, body: BulkEnrolBody, principal: Writer, session: Session
) -> list[OutcomePublic]:
    async with session.begin():
        outcomes = await enrolments.bulk_enrol(session, principal, session_id, body.volunteer_ids)
    return [_outcome(o) for o in outcomes]


class EnrolmentPublic(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    volunteer_id: uuid.UUID
    regency_code: str
    status: str
    waitlist_seq: int | None
    pre_score: float | None
    post_score: float | None
    outcome: str | None
    outcome_reason: str | None
    cancel_reason: str | None


@router.get(
    "/{session_id}/enrolments",
    response_model=list[EnrolmentPublic],
    summary="Participants, waitlist and cancellations",
)
async def list_enrolments(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> list[EnrolmentPublic]:
    rows = await enrolments.list_enrolments(session, principal, session_id)
    return [EnrolmentPublic.model_validate(r, from_attributes=True) for r in rows]


class Mark(BaseModel):
    enrolment_id: uuid.UUID
    status: AttendanceStatus


class AttendanceSheet(BaseModel):
    marks: list[Mark] = Field(min_length=1)


@router.put(
    "/{session_id}/attendance/{day}",
    summary="Record a day's attendance (one participant or the whole sheet)",
)
async def record_attendance(
    session_id: uuid.UUID, day: date, body: AttendanceSheet, principal: Writer, session: Session
) -> dict[str, int]:
    async with session.begin():
        count = await completion.record_attendance(
            session, principal, session_id, day, [(m.enrolment_id, m.status) for m in body.marks]
        )
    return {"recorded": count}


class Score(BaseModel):
    enrolment_id: uuid.UUID
    pre_score: float | None = Field(default=None, ge=0, le=100)
    post_score: float | None = Field(default=None, ge=0, le=100)


class ScoreSheet(BaseModel):
    scores: list[Score] = Field(min_length=1)


@router.put("/{session_id}/scores", summary="Record pre-test and post-test scores")
async def record_scores(
    session_id: uuid.UUID, body: ScoreSheet, principal: Writer, session: Session
) -> dict[str, int]:
    async with session.begin():
        count = await completion.record_scores(
            session,
            principal,
            session_id,
            [(s.enrolment_id, s.pre_score, s.post_score) for s in body.scores],
        )
    return {"recorded": count}


@router.post("/{session_id}/complete", summary="Evaluate participants and issue certificates")
async def complete(
    session_id: uuid.UUID, request: Request, principal: Writer, session: Session
) -> dict[str, Any]:
    """Idempotent: completing again returns the same summary and issues nothing."""
    signer = request.app.state.settings.signer()
    async with session.begin():
        return await completion.complete(session, principal, session_id, signer)
