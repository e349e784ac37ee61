"""One-time links to a volunteer's own page: an operator has one sent; the volunteer (through
the console) redeems it for a short-lived volunteer token.

`POST /auth/volunteer-link` is public (the code authenticates itself), throttled like login.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from services.registry.api.deps import State, WriterActor
from services.registry.domain.errors import Erased, VolunteerNotFound
from services.registry.service import volunteer_links
from services.registry.service.access import volunteer_in_scope
from services.registry.service.volunteer_links import LinkNotSent, LinkRefused
from shared.deps import Session
from shared.errors import RateLimited
from shared.problems import raises
from shared.throttle import throttle

router = APIRouter(tags=["volunteer page"])

#: No-store: a token must not sit in a cache (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_redeem_per_client = throttle(
    "volunteer-link", per_minute=10, burst=5, settings_prefix="login_rate"
)


class LinkSent(BaseModel):
    """The link was handed to notifications, to send over the volunteer's channel."""

    volunteer_id: uuid.UUID
    expires_in_minutes: int


class RedeemRequest(BaseModel):
    """The code of a one-time link (from the message's URL)."""

    code: str = Field(min_length=20, max_length=100)


class VolunteerTokenAnswer(BaseModel):
    """A volunteer's access token (no refresh token: a new link opens a new visit)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int
    volunteer_id: uuid.UUID


@router.post(
    "/volunteers/{volunteer_id:uuid}/access-link",
    status_code=202,
    response_model=LinkSent,
    summary="Send a volunteer a one-time link to their own page (audited)",
)
@raises(VolunteerNotFound, Erased, LinkNotSent)
async def send_access_link(
    volunteer_id: uuid.UUID, session: Session, actor: WriterActor, state: State
) -> LinkSent:
    """A new single-use link (valid `volunteer_link_ttl_minutes`), sent by notifications
    over the volunteer's preferred channel; earlier links stay valid until used or expired.
    503 when notifications does not accept it (then nobody has the code)."""
    settings = state.registry_settings
    ttl = timedelta(minutes=settings.volunteer_link_ttl_minutes)
    async with session.begin():
        volunteer = await volunteer_in_scope(session, volunteer_id, actor)
        if volunteer.erased_at is not None:
            raise Erased()
        code = volunteer_links.new_link(
            session, volunteer, actor=actor, ttl=ttl, now=state.clock.now()
        )
    await volunteer_links.send_link(
        settings.notifications_url,
        volunteer_id,
        code,
        token=volunteer_links.sender_token(state.issuer),
    )
    return LinkSent(
        volunteer_id=volunteer_id, expires_in_minutes=settings.volunteer_link_ttl_minutes
    )


@router.post(
    "/auth/volunteer-link",
    response_model=VolunteerTokenAnswer,
    summary="Redeem a one-time link for a volunteer token",
    dependencies=[Depends(_redeem_per_client)],
)
@raises(LinkRefused, RateLimited)
async def redeem_access_link(
    body: RedeemRequest, session: Session, state: State, response: Response
) -> VolunteerTokenAnswer:
    """Spend the link (once: a second use, an expired or unknown link, or an erased person
    is the same 401) for a volunteer token: subject = scope = the volunteer's id, good at
    every service's `/me` routes and nowhere else."""
    async with session.begin():
        volunteer_id = await volunteer_links.redeem(session, body.code, now=state.clock.now())
    ttl = timedelta(seconds=state.registry_settings.access_token_ttl_s)
    response.headers.update(NO_STORE)
    return VolunteerTokenAnswer(
        access_token=volunteer_links.volunteer_token(state.issuer, volunteer_id, ttl=ttl),
        expires_in=int(ttl.total_seconds()),
        volunteer_id=volunteer_id,
    )
