"""Cancelling an enrolment (a freed seat goes to the next on the waitlist)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from services.training.api.deps import State
from services.training.domain.enums import CancelReason, EnrolmentStatus, OperatorCancelReason
from services.training.domain.errors import EnrolmentNotActive, EnrolmentNotFound
from services.training.service import enrolments
from shared.auth import Writer
from shared.deps import Session
from shared.problems import raises

router = APIRouter(prefix="/enrolments", tags=["enrolments"])


class CancelEnrolment(BaseModel):
    """Who asked for the cancellation: the volunteer (withdrawn) or the operator."""

    reason_code: OperatorCancelReason = OperatorCancelReason.WITHDRAWN


class EnrolmentCancelledPublic(BaseModel):
    """The cancelled enrolment."""

    id: uuid.UUID
    status: EnrolmentStatus


@router.post(
    "/{enrolment_id}/cancel",
    response_model=EnrolmentCancelledPublic,
    summary="Cancel a place or waitlist entry",
)
@raises(EnrolmentNotFound, EnrolmentNotActive)
async def cancel(
    enrolment_id: uuid.UUID,
    body: CancelEnrolment,
    principal: Writer,
    session: Session,
    state: State,
) -> EnrolmentCancelledPublic:
    """Publishes `enrolment-cancelled`; a freed seat goes to the next on the waitlist."""
    async with session.begin():
        enrolment = await enrolments.cancel_enrolment(
            session,
            principal=principal,
            enrolment_id=enrolment_id,
            reason_code=CancelReason(body.reason_code),
            now=state.clock.now(),
        )
    return EnrolmentCancelledPublic(id=enrolment.id, status=EnrolmentStatus(enrolment.status))
