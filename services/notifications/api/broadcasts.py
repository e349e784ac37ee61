"""Broadcasts: an operator's message to a segment of their scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.notifications.api import NotificationDeps
from services.notifications.service import audience
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])


class BroadcastCreate(BaseModel):
    region_code: str = Field(description="Segment: a region prefix inside your scope, e.g. 32.76")
    status: Literal["candidate", "active", "inactive", "resigned", "revoked"] | None = None
    training_level: Literal["dasar", "lanjutan", "khusus"] | None = None
    message: str = Field(min_length=1, max_length=1000)


class BroadcastPublic(BaseModel):
    id: uuid.UUID
    operator: str
    operator_scope: str
    region_code: str
    status: str | None
    training_level: str | None
    message: str
    recipients: int
    created_at: datetime


@router.post("", response_model=BroadcastPublic, status_code=202, summary="Send to a segment")
async def create_broadcast(
    body: BroadcastCreate, session: Session, principal: Writer, deps: NotificationDeps
) -> BroadcastPublic:
    """Resolve the segment from the local read model, record it, queue one message per person."""
    async with session.begin():
        record = await audience.broadcast(
            session,
            principal=principal,
            region_code=body.region_code,
            message=body.message,
            status=body.status,
            training_level=body.training_level,
            now=deps.clock(),
        )
    return BroadcastPublic.model_validate(record, from_attributes=True)


@router.get("", response_model=list[BroadcastPublic], summary="Broadcasts in your scope (audit)")
async def list_broadcasts(
    session: ReadSession, principal: CurrentPrincipal
) -> list[BroadcastPublic]:
    """Who sent what to which segment, newest first."""
    rows = await audience.list_broadcasts(session, principal=principal)
    return [BroadcastPublic.model_validate(r, from_attributes=True) for r in rows]
