"""registry asks notifications to send a volunteer the one-time link to their page."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.notifications.api.deps import State
from services.notifications.service.access_links import (
    AccessLinkNotSent,
    RecipientUnknown,
    send_access_link,
)
from shared.auth import NeedsAccessLinksSend
from shared.problems import raises

router = APIRouter(prefix="/internal", tags=["internal"])


class AccessLinkRequest(BaseModel):
    """The link's code (the URL is built here from `console_url`) and how long it lives."""

    code: str = Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    valid_minutes: int = Field(default=1440, ge=1, le=7 * 1440)


class AccessLinkSent(BaseModel):
    """The ledger row of the message (its text holds the code masked)."""

    notification_id: uuid.UUID
    channel: str


@router.post(
    "/volunteers/{volunteer_id}/access-link",
    status_code=202,
    response_model=AccessLinkSent,
    summary="Send a volunteer their one-time page link (registry only)",
)
@raises(RecipientUnknown, AccessLinkNotSent)
async def send(
    volunteer_id: uuid.UUID,
    body: AccessLinkRequest,
    principal: NeedsAccessLinksSend,
    state: State,
) -> AccessLinkSent:
    """Sent now over the volunteer's channels in their order (quiet hours do not hold a
    link the volunteer asked for); 503 when no channel took it (never retried: the code is
    not kept). The ledger keeps the message with the code masked."""
    notification_id, channel = await send_access_link(
        state, volunteer_id, body.code, valid_minutes=body.valid_minutes, now=state.clock.now()
    )
    return AccessLinkSent(notification_id=notification_id, channel=channel)
