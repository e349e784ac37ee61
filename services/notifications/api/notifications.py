"""The delivery ledger over HTTP: list by volunteer, session or status; detail; resend."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.notifications.api import NotificationDeps
from services.notifications.service import ledger
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import Problem

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    id: uuid.UUID
    trigger_event_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_kind: str
    template: str
    template_version: int
    category: str
    session_id: uuid.UUID | None
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    provider_id: str | None
    last_error: str | None
    body: str
    resent_count: int
    created_at: datetime
    sent_at: datetime | None


class AttemptPublic(BaseModel):
    channel: str
    outcome: str
    provider_id: str | None
    error: str | None
    attempted_at: datetime


class NotificationDetail(NotificationPublic):
    delivery_attempts: list[AttemptPublic]


@router.get(
    "/notifications", response_model=list[NotificationPublic], summary="Ledger rows in your scope"
)
async def list_notifications(
    session: ReadSession,
    principal: CurrentPrincipal,
    volunteer_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[NotificationPublic]:
    """List notifications by volunteer, session and/or status (newest first)."""
    rows = await ledger.list_notifications(
        session,
        principal=principal,
        volunteer_id=volunteer_id,
        session_id=session_id,
        status=status,
        limit=limit,
    )
    return [NotificationPublic.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationDetail,
    summary="One notification with every delivery attempt",
)
async def get_notification(
    notification_id: uuid.UUID, session: ReadSession, principal: CurrentPrincipal
) -> NotificationDetail:
    """A ledger row and its attempts (channel, provider id, outcome, error)."""
    note = await ledger.get_in_scope(session, principal=principal, notification_id=notification_id)
    attempts = await ledger.attempts_of(session, notification_id)
    return NotificationDetail(
        **NotificationPublic.model_validate(note, from_attributes=True).model_dump(),
        delivery_attempts=[AttemptPublic.model_validate(a, from_attributes=True) for a in attempts],
    )


@router.post(
    "/notifications/{notification_id}/resend",
    response_model=NotificationPublic,
    status_code=202,
    summary="Queue a notification again (operator)",
)
async def resend(
    notification_id: uuid.UUID, session: Session, principal: Writer, deps: NotificationDeps
) -> NotificationPublic:
    """Put the notification back in the queue; the dispatcher sends it on its next round."""
    async with session.begin():
        note = await ledger.resend(
            session, principal=principal, notification_id=notification_id, now=deps.clock()
        )
    return NotificationPublic.model_validate(note, from_attributes=True)


@router.get("/dev/messages", summary="Development channel: what would have been sent")
async def dev_messages(principal: CurrentPrincipal, deps: NotificationDeps) -> list[dict[str, str]]:
    """The last messages the development channel stored (national scope only: bodies carry names)."""
    if not principal.is_national:
        raise Problem(403, "Forbidden", "only national scope may read the development outbox")
    return list(deps.dev_messages)
