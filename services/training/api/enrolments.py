"""Cancelling an enrolment (a freed seat goes to the next on the waitlist)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from services.training.service import enrolments
from shared.auth import Writer
from shared.deps import Session

router = APIRouter(prefix="/enrolments", tags=["enrolments"])


class CancelEnrolment(BaseModel):
    reason_code: Literal["withdrawn", "operator"] = "withdrawn"


@router.post("/{enrolment_id}/cancel", summary="Cancel a place or waitlist entry")
async def cancel(
    enrolment_id: uuid.UUID, body: CancelEnrolment, principal: Writer, session: Session
) -> dict[str, str]:
    async with session.begin():
        enrolment = await enrolments.cancel_enrolment(
            session, principal, enrolment_id, body.reason_code
        )
    return {"id": str(enrolment.id), "status": enrolment.status}
