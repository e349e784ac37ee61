"""A volunteer's channel order and opt-outs (set by an operator on the volunteer's request)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from services.notifications.api import NotificationDeps
from services.notifications.service import audience
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session

router = APIRouter(prefix="/volunteers", tags=["preferences"])


class OptOutItem(BaseModel):
    category: str
    channel: str


class PreferencesIn(BaseModel):
    channel_order: list[str] | None = None
    opt_outs: list[OptOutItem] = []


class PreferencesOut(BaseModel):
    volunteer_id: uuid.UUID
    channel_order: list[str]
    opt_outs: list[OptOutItem]


@router.get("/{volunteer_id}/preferences", response_model=PreferencesOut)
async def get_preferences(
    volunteer_id: uuid.UUID,
    session: ReadSession,
    principal: CurrentPrincipal,
    deps: NotificationDeps,
) -> PreferencesOut:
    """Channel order and opt-outs of a volunteer in your scope."""
    recipient = await audience.recipient_in_scope(
        session, principal=principal, volunteer_id=volunteer_id
    )
    prefs = await audience.preferences(session, recipient, deps.settings.default_channel_order)
    return PreferencesOut.model_validate(prefs)


@router.put("/{volunteer_id}/preferences", response_model=PreferencesOut)
async def put_preferences(
    volunteer_id: uuid.UUID,
    body: PreferencesIn,
    session: Session,
    principal: Writer,
    deps: NotificationDeps,
) -> PreferencesOut:
    """Replace channel order and opt-outs; critical messages still go through."""
    async with session.begin():
        recipient = await audience.recipient_in_scope(
            session, principal=principal, volunteer_id=volunteer_id
        )
        await audience.set_preferences(
            session,
            recipient=recipient,
            channel_order=body.channel_order,
            opt_outs=[(o.category, o.channel) for o in body.opt_outs],
        )
        prefs = await audience.preferences(session, recipient, deps.settings.default_channel_order)
    return PreferencesOut.model_validate(prefs)
