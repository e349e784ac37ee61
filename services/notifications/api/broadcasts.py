"""Broadcasts: an operator's message to a segment of their scope."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.notifications.api.deps import State
from services.notifications.api.paging import AFTER, LIMIT, cursor_of, link_next
from services.notifications.domain.enums import SegmentStatus, TrainingLevel
from services.notifications.domain.errors import InvalidCursor, InvalidRegion, RegionOutOfScope
from services.notifications.service import audience
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import raises

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])
# A Kemendagri code of a province, regency, district or village (ASCII digits only).
# `national`: the whole country, for national admins only.
REGION_CODE = r"^(national|[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?)$"


class BroadcastCreate(BaseModel):
    """A message and the segment it goes to."""

    region_code: str = Field(
        pattern=REGION_CODE,
        max_length=13,
        description="Segment: a region prefix inside your scope, e.g. 32.76; `national` "
        "(everyone) for a national admin",
    )
    status: SegmentStatus | None = None
    training_level: TrainingLevel | None = None
    message: str = Field(min_length=1, max_length=1000)


class BroadcastPublic(BaseModel):
    """A broadcast as kept for audit."""

    id: uuid.UUID
    operator: str
    operator_scope: str
    region_code: str
    status: SegmentStatus | None
    training_level: TrainingLevel | None
    message: str
    recipients: int
    created_at: datetime


@router.post(
    "",
    response_model=BroadcastPublic,
    status_code=202,
    summary="Send to a segment",
)
@raises(InvalidRegion, RegionOutOfScope)
async def create_broadcast(
    body: BroadcastCreate, session: Session, principal: Writer, state: State
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
            now=state.clock.now(),
        )
    return BroadcastPublic.model_validate(record, from_attributes=True)


class BroadcastPreview(BaseModel):
    """How many people a broadcast would reach now."""

    recipients: int


@router.post(
    "/preview",
    response_model=BroadcastPreview,
    summary="Count a broadcast's recipients before sending",
)
@raises(InvalidRegion, RegionOutOfScope)
async def preview_broadcast(
    body: BroadcastCreate, session: ReadSession, principal: Writer
) -> BroadcastPreview:
    """The segment counted as `POST /broadcasts` would resolve it; nothing is recorded or
    queued."""
    count = await audience.count_segment(
        session,
        principal=principal,
        region_code=body.region_code,
        status=body.status,
        training_level=body.training_level,
    )
    return BroadcastPreview(recipients=count)


@router.get("", response_model=list[BroadcastPublic], summary="Broadcasts in your scope (audit)")
@raises(InvalidCursor)
async def list_broadcasts(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: CurrentPrincipal,
    limit: int = LIMIT,
    after: str | None = AFTER,
) -> list[BroadcastPublic]:
    """Who sent what to which segment, newest first (time, then id), a page of `limit`; the
    next page's cursor is in `X-Next-Cursor` and `Link`."""
    page = await audience.list_broadcasts(
        session, principal=principal, limit=limit, after=cursor_of(after)
    )
    link_next(request, response, page.next)
    return [BroadcastPublic.model_validate(r, from_attributes=True) for r in page.items]
