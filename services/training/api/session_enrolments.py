"""A session's participants: enrol one or a list (confirmed, waitlisted or refused), list them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.training.api.deps import Lang, State
from services.training.domain.enums import (
    CancelReason,
    EnrolmentDecision,
    EnrolmentStatus,
    ParticipantOutcome,
    ReasonCode,
)
from services.training.domain.errors import (
    SessionNotFound,
    UnknownQuota,
    VolunteerNotFound,
    WrongSessionStatus,
)
from services.training.service import enrolments
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import raises

router = APIRouter(prefix="/sessions", tags=["sessions"])


QUOTA_FIELD = Field(
    default=None,
    max_length=60,
    examples=["org:ipsm-pusat"],
    description="an organisation quota of the session the organiser nominates for; "
    "left out, the volunteer's region decides the quota",
)


QUOTA_KEY_DOC = (
    "the quota key the seat or waitlist place counts against (and whose queue a waitlisted "
    "place waits in): the organisation quota it was nominated for, else the most specific "
    "region key holding its regency, else the remainder (`national` or `remainder`); null "
    "when the session has no quotas (one queue for the session)"
)


class EnrolBody(BaseModel):
    """The volunteer to enrol (and the organisation quota they are nominated for)."""

    volunteer_id: uuid.UUID
    quota: str | None = QUOTA_FIELD


class BulkEnrolBody(BaseModel):
    """The volunteers to enrol, in order (all nominated for `quota`, if given)."""

    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    quota: str | None = QUOTA_FIELD


class ReasonPublic(BaseModel):
    """One reason a volunteer may not enrol."""

    code: ReasonCode
    message: str


class OutcomePublic(BaseModel):
    """What enrolling one volunteer gave."""

    volunteer_id: uuid.UUID
    outcome: EnrolmentDecision
    enrolment_id: uuid.UUID | None
    position: int | None = Field(description="place in the queue of its quota (or session)")
    reasons: list[ReasonPublic]
    quota: str | None = Field(description="the quota the place counts against (as quota_key)")
    quota_key: str | None = Field(description=QUOTA_KEY_DOC)


def _outcome(o: enrolments.Outcome, language: str) -> OutcomePublic:
    return OutcomePublic(
        volunteer_id=o.volunteer_id,
        outcome=o.outcome,
        enrolment_id=o.enrolment_id,
        position=o.position,
        reasons=[ReasonPublic(code=r.code, message=r.message.get(language)) for r in o.reasons],
        quota=o.quota,
        quota_key=o.quota,
    )


@router.post(
    "/{session_id}/enrolments",
    response_model=OutcomePublic,
    summary="Enrol one volunteer (confirmed, waitlisted, or rejected with reasons)",
)
@raises(SessionNotFound, WrongSessionStatus, UnknownQuota, VolunteerNotFound)
async def enrol(
    session_id: uuid.UUID,
    body: EnrolBody,
    principal: Writer,
    session: Session,
    state: State,
    language: Lang,
) -> OutcomePublic:
    """Confirmed while seats last, else waitlisted; or rejected with every reason. A
    volunteer unknown to training or outside your reach (your scope, or the eligible regions
    of a province or national batch) is the same 404."""
    async with session.begin():
        outcome = await enrolments.enrol(
            session,
            principal=principal,
            session_id=session_id,
            volunteer_id=body.volunteer_id,
            quota=body.quota,
            now=state.clock.now(),
            today=state.clock.today(),
        )
    return _outcome(outcome, language)


@router.post(
    "/{session_id}/enrolments/bulk",
    response_model=list[OutcomePublic],
    summary="Enrol a list; one outcome per volunteer",
)
@raises(SessionNotFound, WrongSessionStatus, UnknownQuota)
async def enrol_bulk(
    session_id: uuid.UUID,
    body: BulkEnrolBody,
    principal: Writer,
    session: Session,
    state: State,
    language: Lang,
) -> list[OutcomePublic]:
    """One outcome per volunteer, in order (one rejection blocks none)."""
    async with session.begin():
        outcomes = await enrolments.bulk_enrol(
            session,
            principal=principal,
            session_id=session_id,
            volunteer_ids=body.volunteer_ids,
            quota=body.quota,
            now=state.clock.now(),
            today=state.clock.today(),
        )
    return [_outcome(o, language) for o in outcomes]


class EnrolmentPublic(BaseModel):
    """A place, a waitlist entry or a cancellation, with tests and outcome."""

    id: uuid.UUID
    session_id: uuid.UUID
    volunteer_id: uuid.UUID
    regency_code: str
    status: EnrolmentStatus
    waitlist_seq: int | None
    quota_key: str | None = Field(description=QUOTA_KEY_DOC)
    nominated_quota: str | None = Field(
        description="the organisation quota the organiser nominated it for, if any"
    )
    pre_score: float | None
    post_score: float | None
    outcome: ParticipantOutcome | None
    outcome_reason: str | None
    cancel_reason: CancelReason | None


@router.get(
    "/{session_id}/enrolments",
    response_model=list[EnrolmentPublic],
    summary="Participants, waitlist and cancellations",
)
@raises(SessionNotFound)
async def list_enrolments(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> list[EnrolmentPublic]:
    """Every enrolment of the session, in enrolment order, with the quota key each counts
    against under the session's current quotas (so waitlists can be grouped per queue)."""
    rows = await enrolments.enrolments_with_quotas(session, principal, session_id)
    return [
        EnrolmentPublic(
            id=e.id,
            session_id=e.session_id,
            volunteer_id=e.volunteer_id,
            regency_code=e.regency_code,
            status=e.status,
            waitlist_seq=e.waitlist_seq,
            quota_key=key,
            nominated_quota=e.quota_key,
            pre_score=e.pre_score,
            post_score=e.post_score,
            outcome=e.outcome,
            outcome_reason=e.outcome_reason,
            cancel_reason=e.cancel_reason,
        )
        for e, key in rows
    ]
