"""Sessions: scheduling and lifecycle (create, change, open, start, cancel).

A session's participants are in `session_enrolments.py`, its attendance, tests and
completion in `session_results.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from services.training.api.deps import Lang, State
from services.training.db.tables import NOTE_MAX, TrainingSession
from services.training.domain import eligibility
from services.training.domain.enums import (
    CompletionForceReason,
    Level,
    ReopenReason,
    SessionCancelReason,
    SessionStatus,
)
from services.training.domain.errors import (
    CourseNotFound,
    RegionOutOfScope,
    SessionNotFound,
    SessionRuleBroken,
    WrongSessionStatus,
)
from services.training.service import sessions
from services.training.service.common import scoped_session
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.fields import Integer, IsoDate, left_out, number_only
from shared.i18n import Text, localize
from shared.problems import raises

router = APIRouter(prefix="/sessions", tags=["sessions"])
VILLAGE_PATTERN = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
REGION_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
RegionCode = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]
Seats = Annotated[int, Field(ge=0, le=5000), BeforeValidator(number_only)]
QuotaKey = Annotated[str, StringConstraints(pattern=eligibility.QUOTA_KEY_PATTERN)]


def _one_remainder(quotas: dict[str, int]) -> dict[str, int]:
    problem = eligibility.quota_keys_problem(quotas)
    if problem:
        raise ValueError(problem)
    return quotas


#: seats per region code, per organisation (`org:ipsm-pusat`) and for the remainder
#: (`national` or `remainder`: whoever no other key covers)
Quotas = Annotated[dict[QuotaKey, Seats], AfterValidator(_one_remainder)]
QUOTAS_DOC = (
    "seats per region (the most specific key containing the volunteer's region wins), per "
    "organisation that is not a region (`org:<name>`, named at enrolment) and for the "
    "remainder (`national` or `remainder`: whoever no other key covers)"
)
# Why: pydantic describes constrained keys as `patternProperties` only, which lets any other
# key through in the schema while validation refuses it.
ONLY_REGION_KEYS: dict[str, Any] = {"additionalProperties": False}


class Speaker(BaseModel):
    """A speaker of the session."""

    name: str = Field(min_length=1, max_length=200)
    institution: str = Field(min_length=1, max_length=200)


class AgendaItem(BaseModel):
    """One item of the agenda."""

    day: IsoDate
    time: str | None = Field(default=None, max_length=20, examples=["08:00-10:00"])
    topic: str = Field(min_length=1, max_length=300)
    speaker: str | None = Field(default=None, max_length=200)


class SessionDetails(BaseModel):
    """Where, when and for how many a session is held."""

    venue_name: str = Field(min_length=1, max_length=200)
    venue_village_code: str = Field(pattern=VILLAGE_PATTERN, examples=["32.76.01.1006"])
    start_date: IsoDate = Field(examples=["2022-11-30"])
    end_date: IsoDate = Field(examples=["2022-12-01"], description="not before start_date")
    capacity: Integer = Field(gt=0, le=5000)
    quotas: Quotas = Field(
        default={},
        max_length=100,
        examples=[{"32.75": 250, "32.16": 225, "org:ipsm-pusat": 25}],
        description=QUOTAS_DOC,
        json_schema_extra=ONLY_REGION_KEYS,
    )
    eligible_regions: list[RegionCode] = Field(default=[], max_length=100, examples=[["32.76"]])
    speakers: list[Speaker] = Field(default=[], max_length=100)
    agenda: list[AgendaItem] = Field(default=[], max_length=200)


class SessionCreate(SessionDetails):
    """A new draft session of a course."""

    course_code: str = Field(pattern=r"^[A-Z0-9-]{3,50}$", examples=["BIMTEK-DASAR"])
    title: str | None = Field(default=None, max_length=200, description="the course's if null")
    organiser_agency: str = Field(
        min_length=1, max_length=200, examples=["Dinas Sosial Kota Depok"]
    )
    organiser_region_code: str = Field(
        pattern=r"^(national|\d{2}(\.\d{2})?)$",
        examples=["32.76"],
        description="'national', a province ('32') or a regency ('32.76')",
    )


class SessionUpdate(BaseModel):
    """Changes to a draft or open session; a field left out stays as it is."""

    # Why no `| None`: every column here holds a value, so an explicit null is refused
    # (422) instead of being written; leaving a field out keeps it.
    title: str = Field(default_factory=left_out, min_length=1, max_length=200)
    venue_name: str = Field(default_factory=left_out, min_length=1, max_length=200)
    venue_village_code: str = Field(default_factory=left_out, pattern=VILLAGE_PATTERN)
    start_date: IsoDate = Field(default_factory=left_out)
    end_date: IsoDate = Field(default_factory=left_out, description="not before start_date")
    capacity: Integer = Field(default_factory=left_out, gt=0, le=5000)
    quotas: Quotas = Field(
        default_factory=left_out,
        max_length=100,
        description=QUOTAS_DOC,
        json_schema_extra=ONLY_REGION_KEYS,
    )
    eligible_regions: list[RegionCode] = Field(default_factory=left_out, max_length=100)
    speakers: list[Speaker] = Field(default_factory=left_out, max_length=100)
    agenda: list[AgendaItem] = Field(default_factory=left_out, max_length=200)


class SessionPublic(SessionCreate):
    """A session as stored, with non-blocking warnings (e.g. public holidays)."""

    id: uuid.UUID
    level: Level
    title: str
    status: SessionStatus
    cancel_reason_code: SessionCancelReason | None = Field(
        description="published in `session-cancelled`; participants are told it"
    )
    cancel_note: str | None = Field(description="the organiser's own words; never published")
    confirmed_count: int
    summary: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    completion_forced_reason: CompletionForceReason | None = Field(
        description="set when completed before the last day (`force: true`)"
    )
    reopened_at: datetime | None
    reopen_reason_code: ReopenReason | None
    warnings: list[str] = []


def _data(body: BaseModel, *, exclude_unset: bool = False) -> dict[str, Any]:
    """Dates stay dates for their columns; the JSON columns get JSON-ready values."""
    data = body.model_dump(exclude_unset=exclude_unset)
    as_json = body.model_dump(mode="json", exclude_unset=exclude_unset)
    for field in ("agenda", "speakers", "quotas", "eligible_regions"):
        if field in data:
            data[field] = as_json[field]
    return data


def _public(
    row: TrainingSession, warnings: list[Text] | None = None, language: str = "id"
) -> SessionPublic:
    out = SessionPublic.model_validate(row, from_attributes=True)
    return out.model_copy(update={"warnings": localize(warnings or [], language)})


@router.post(
    "",
    status_code=201,
    response_model=SessionPublic,
    summary="Schedule a draft session",
)
@raises(RegionOutOfScope, SessionRuleBroken, CourseNotFound)
async def create(
    body: SessionCreate, principal: Writer, session: Session, state: State, language: Lang
) -> SessionPublic:
    """Warnings (e.g. a date is a public holiday) are returned, never blocking. The start
    lies within the configured window around today and the session within the longest
    allowed duration (else 422 naming `start_date` or `end_date`)."""
    async with session.begin():
        row, warnings = await sessions.create_session(
            session,
            principal=principal,
            data=_data(body),
            rules=state.scheduling_rules(),
            now=state.clock.now(),
        )
    return _public(row, warnings, language)


@router.get("", response_model=list[SessionPublic], summary="Sessions in your scope")
async def list_all(
    principal: CurrentPrincipal,
    session: ReadSession,
    status: SessionStatus | None = None,
    year: int | None = Query(default=None, ge=2000, le=2100),
) -> list[SessionPublic]:
    """Sessions in your scope, by start date; filtered by status and/or year."""
    rows = await sessions.list_sessions(session, principal=principal, status=status, year=year)
    return [_public(r) for r in rows]


@router.get("/{session_id}", response_model=SessionPublic, summary="One session")
@raises(SessionNotFound)
async def get_one(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> SessionPublic:
    """The session, if in your scope."""
    return _public(await scoped_session(session, principal, session_id))


@router.patch(
    "/{session_id}",
    response_model=SessionPublic,
    summary="Edit a draft or open session",
)
@raises(SessionNotFound, WrongSessionStatus, SessionRuleBroken)
async def update(
    session_id: uuid.UUID,
    body: SessionUpdate,
    principal: Writer,
    session: Session,
    state: State,
    language: Lang,
) -> SessionPublic:
    """Publishes `session-rescheduled` when an open session's dates or venue change."""
    async with session.begin():
        row, warnings = await sessions.update_session(
            session,
            principal=principal,
            session_id=session_id,
            changes=_data(body, exclude_unset=True),
            rules=state.scheduling_rules(),
            now=state.clock.now(),
        )
    return _public(row, warnings, language)


@router.post("/{session_id}/open", response_model=SessionPublic, summary="Open for enrolment")
@raises(SessionNotFound, WrongSessionStatus)
async def open_(
    session_id: uuid.UUID, principal: Writer, session: Session, state: State
) -> SessionPublic:
    """Publishes `session-scheduled`."""
    async with session.begin():
        row = await sessions.move(
            session,
            principal=principal,
            session_id=session_id,
            target=SessionStatus.OPEN,
            now=state.clock.now(),
        )
    return _public(row)


@router.post("/{session_id}/start", response_model=SessionPublic, summary="Start (in progress)")
@raises(SessionNotFound, WrongSessionStatus)
async def start(
    session_id: uuid.UUID, principal: Writer, session: Session, state: State
) -> SessionPublic:
    """Attendance and tests are recorded from now on."""
    async with session.begin():
        row = await sessions.move(
            session,
            principal=principal,
            session_id=session_id,
            target=SessionStatus.IN_PROGRESS,
            now=state.clock.now(),
        )
    return _public(row)


class CancelBody(BaseModel):
    """Why the session is cancelled: a code participants and agencies are told, and an
    optional note that stays in training (visible to operators in scope only)."""

    reason_code: SessionCancelReason = Field(examples=["venue_unavailable"])
    note: str | None = Field(
        default=None,
        min_length=1,
        max_length=NOTE_MAX,
        description="free text for operators; never published, never sent to participants",
    )


@router.post(
    "/{session_id}/cancel",
    response_model=SessionPublic,
    summary="Cancel with a reason code (and a private note)",
)
@raises(SessionNotFound, WrongSessionStatus)
async def cancel(
    session_id: uuid.UUID, body: CancelBody, principal: Writer, session: Session, state: State
) -> SessionPublic:
    """Publishes `session-cancelled` and `enrolment-cancelled` for every place."""
    async with session.begin():
        row = await sessions.cancel(
            session,
            principal=principal,
            session_id=session_id,
            reason_code=body.reason_code,
            note=body.note,
            now=state.clock.now(),
        )
    return _public(row)
