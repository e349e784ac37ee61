"""A volunteer's own preferences and quiet hours, with their volunteer token (from a
one-time link): the id is the token's subject, never a request parameter."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from services.notifications.api.deps import State
from services.notifications.api.preferences import OptOutItem
from services.notifications.db.tables import Recipient
from services.notifications.domain.enums import ChannelName
from services.notifications.domain.errors import InvalidPreferences, VolunteerNotFound
from services.notifications.service import audience
from services.notifications.state import NotificationsState
from shared import i18n
from shared.auth import CurrentVolunteer, Principal
from shared.deps import ReadSession, Session
from shared.problems import raises
from shared.regions import timezone_label

router = APIRouter(prefix="/me", tags=["volunteer page"])

Hour = Field(ge=0, le=23)


class OwnPreferencesIn(BaseModel):
    """The new channel order, opt-outs (None: keep them) and quiet hours (local hours; the
    quiet time runs from `quiet_start_hour` over midnight to `quiet_end_hour`)."""

    channel_order: list[ChannelName] | None = Field(default=None, min_length=1)
    opt_outs: list[OptOutItem] | None = None
    quiet_start_hour: int = Hour
    quiet_end_hour: int = Hour

    @model_validator(mode="after")
    def _over_midnight(self) -> OwnPreferencesIn:
        if self.quiet_end_hour >= self.quiet_start_hour:
            raise ValueError(
                i18n.t(
                    "jam tenang berakhir (pagi) harus lebih awal dari jam mulainya (malam)",
                    "quiet hours must end (morning) before they start (evening)",
                ).id
            )
        return self


class OwnPreferencesOut(BaseModel):
    """A volunteer's channel order, opt-outs and the quiet hours that apply to them."""

    volunteer_id: uuid.UUID
    channel_order: list[ChannelName]
    opt_outs: list[OptOutItem]
    quiet_start_hour: int
    quiet_end_hour: int
    quiet_hours_own: bool = Field(description="false: the platform's default quiet hours")
    timezone: str = Field(description="WIB, WITA or WIT: the zone of the quiet hours")


async def _own(session: Any, principal: Principal) -> Recipient:
    """The volunteer of the token (the read model row); 404 while not synced yet."""
    volunteer_id = uuid.UUID(principal.subject)
    recipient: Recipient | None = await session.get(Recipient, volunteer_id)
    if recipient is None:
        raise VolunteerNotFound(
            i18n.t("Relawan {id} tidak ditemukan", "volunteer {id} not found", id=volunteer_id)
        )
    return recipient


async def _answer(session: Any, recipient: Recipient, state: NotificationsState) -> Any:
    settings = state.notifications_settings
    prefs = await audience.preferences(session, recipient, settings.default_channel_order)
    own = recipient.quiet_start_hour is not None and recipient.quiet_end_hour is not None
    return OwnPreferencesOut(
        **prefs,
        quiet_start_hour=recipient.quiet_start_hour if own else settings.quiet_start_hour,
        quiet_end_hour=recipient.quiet_end_hour if own else settings.quiet_end_hour,
        quiet_hours_own=own,
        timezone=timezone_label(recipient.province_code),
    )


@router.get("/preferences", response_model=OwnPreferencesOut, summary="Own preferences")
@raises(VolunteerNotFound)
async def get_own_preferences(
    session: ReadSession, principal: CurrentVolunteer, state: State
) -> OwnPreferencesOut:
    """The volunteer's channel order, opt-outs and quiet hours (in their zone)."""
    result: OwnPreferencesOut = await _answer(session, await _own(session, principal), state)
    return result


@router.put("/preferences", response_model=OwnPreferencesOut, summary="Change own preferences")
@raises(VolunteerNotFound, InvalidPreferences)
async def put_own_preferences(
    body: OwnPreferencesIn, session: Session, principal: CurrentVolunteer, state: State
) -> OwnPreferencesOut:
    """Change the channel order and opt-outs (the operators' use-case: critical messages
    still go through) and set the quiet hours messages wait through."""
    async with session.begin():
        recipient = await _own(session, principal)
        current = await audience.preferences(
            session, recipient, state.notifications_settings.default_channel_order
        )
        opt_outs = (
            [(o.category, o.channel) for o in body.opt_outs]
            if body.opt_outs is not None
            else [(o["category"], o["channel"]) for o in current["opt_outs"]]
        )
        await audience.set_preferences(
            session, recipient=recipient, channel_order=body.channel_order, opt_outs=opt_outs
        )
        recipient.quiet_start_hour = body.quiet_start_hour
        recipient.quiet_end_hour = body.quiet_end_hour
        session.add(recipient)
        await session.flush()
        result: OwnPreferencesOut = await _answer(session, recipient, state)
    return result
