"""The delivery ledger over HTTP: list by volunteer, session or status; detail; resend."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from services.notifications.api.deps import DevelopmentAdmin, State
from services.notifications.api.paging import AFTER, LIMIT, cursor_of, link_next
from services.notifications.domain.enums import (
    AttemptOutcome,
    Category,
    ChannelName,
    NotificationStatus,
    RecipientKind,
)
from services.notifications.domain.errors import (
    InvalidCursor,
    NotificationNotFound,
    NotResendable,
)
from services.notifications.service import ledger
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import raises

router = APIRouter(tags=["notifications"])


class NotificationPublic(BaseModel):
    """A ledger row: who, which template, which channel, where it stands."""

    id: uuid.UUID
    trigger_event_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_kind: RecipientKind
    template: str
    template_version: int
    category: Category
    session_id: uuid.UUID | None
    channel: ChannelName | Literal[""]  # "" until a channel was tried
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime | None
    provider_id: str | None
    last_error: str | None
    body: str
    resent_count: int
    created_at: datetime
    sent_at: datetime | None


class AttemptPublic(BaseModel):
    """One try on one channel."""

    channel: ChannelName
    outcome: AttemptOutcome
    provider_id: str | None
    error: str | None
    attempted_at: datetime


class NotificationDetail(NotificationPublic):
    """A ledger row with every delivery attempt."""

    delivery_attempts: list[AttemptPublic]


class DevMessage(BaseModel):
    """What the development channel stored instead of sending."""

    channel: ChannelName
    provider_id: str
    notification_id: str
    template: str
    subject: str
    body: str


@router.get(
    "/notifications", response_model=list[NotificationPublic], summary="Ledger rows in your scope"
)
@raises(InvalidCursor)
async def list_notifications(
    request: Request,
    response: Response,
    session: ReadSession,
    principal: CurrentPrincipal,
    volunteer_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    status: NotificationStatus | None = None,
    limit: int = LIMIT,
    after: str | None = AFTER,
) -> list[NotificationPublic]:
    """List notifications by volunteer, session and/or status, newest first (time, then
    id), a page of `limit`; the next page's cursor is in `X-Next-Cursor` and `Link`."""
    page = await ledger.list_notifications(
        session,
        principal=principal,
        volunteer_id=volunteer_id,
        session_id=session_id,
        status=status,
        limit=limit,
        after=cursor_of(after),
    )
    link_next(request, response, page.next)
    return [NotificationPublic.model_validate(r, from_attributes=True) for r in page.items]


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationDetail,
    summary="One notification with every delivery attempt",
)
@raises(NotificationNotFound)
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
@raises(NotificationNotFound, NotResendable)
async def resend(
    notification_id: uuid.UUID, session: Session, principal: Writer, state: State
) -> NotificationPublic:
    """Put the notification back in the queue; the dispatcher sends it on its next round."""
    async with session.begin():
        note = await ledger.resend(
            session, principal=principal, notification_id=notification_id, now=state.clock.now()
        )
    return NotificationPublic.model_validate(note, from_attributes=True)


@router.get(
    "/dev/messages",
    response_model=list[DevMessage],
    summary="Development channel: what would have been sent",
)
async def dev_messages(principal: DevelopmentAdmin, state: State) -> list[DevMessage]:
    """The last messages the development channel stored (development only, national admins
    only: bodies carry names)."""
    return [DevMessage.model_validate(m) for m in state.dev_messages]
