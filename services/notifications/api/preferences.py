"""A volunteer's channel order and opt-outs (set by an operator on the volunteer's request)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.notifications.api.deps import State
from services.notifications.domain.enums import ChannelName, OptOutCategory, OptOutChannel
from services.notifications.domain.errors import InvalidPreferences, VolunteerNotFound
from services.notifications.service import audience
from shared.auth import CurrentPrincipal, Writer
from shared.deps import ReadSession, Session
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["preferences"])


class OptOutItem(BaseModel):
    """No messages of `category` on `channel` ('*': all categories, or every channel)."""

    category: OptOutCategory
    channel: OptOutChannel


class PreferencesIn(BaseModel):
    """The new channel order (None: keep it) and the complete list of opt-outs."""

    channel_order: list[ChannelName] | None = Field(default=None, min_length=1)
    opt_outs: list[OptOutItem] = Field(default_factory=list)


class PreferencesOut(BaseModel):
    """A volunteer's channel order and opt-outs."""

    volunteer_id: uuid.UUID
    channel_order: list[ChannelName]
    opt_outs: list[OptOutItem]


@router.get("/{volunteer_id}/preferences", response_model=PreferencesOut)
@raises(VolunteerNotFound)
async def get_preferences(
    volunteer_id: uuid.UUID, session: ReadSession, principal: CurrentPrincipal, state: State
) -> PreferencesOut:
    """Channel order and opt-outs of a volunteer in your scope."""
    recipient = await audience.recipient_in_scope(
        session, principal=principal, volunteer_id=volunteer_id
    )
    default = state.notifications_settings.default_channel_order
    return PreferencesOut.model_validate(await audience.preferences(session, recipient, default))


@router.put("/{volunteer_id}/preferences", response_model=PreferencesOut)
@raises(VolunteerNotFound, InvalidPreferences)
async def put_preferences(
    volunteer_id: uuid.UUID, body: PreferencesIn, session: Session, principal: Writer, state: State
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
        default = state.notifications_settings.default_channel_order
        prefs = await audience.preferences(session, recipient, default)
    return PreferencesOut.model_validate(prefs)
