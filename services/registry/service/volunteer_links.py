"""One-time links to a volunteer's own page: an operator has one sent over the volunteer's
channel; the volunteer redeems it once for a short-lived volunteer token.

The code is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 is stored, with its
expiry (`volunteer_link_ttl_minutes`) and when it was used. It travels once, to
notifications (`POST /internal/volunteers/{id}/access-link`, with a service token registry
signs for itself holding `access-links:send`), which puts it in the message; it is never
logged, audited or published. Redeeming marks the link used with one conditional UPDATE:
of two concurrent redeems exactly one wins. Every refusal (unknown, expired, used, erased
person) is the same 401.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import Volunteer, VolunteerLink
from services.registry.domain.enums import AuditAction
from services.registry.service.access import Actor, audit
from services.registry.service.tokens import SERVICE_TOKEN_TTL, aware
from shared.errors import Unauthenticated, Unavailable
from shared.i18n import Text, t
from shared.identity import (
    MAX_TOKEN_LIFETIME,
    VOLUNTEER_AUDIENCES,
    Audience,
    Permission,
    Role,
    TokenIssuer,
)
from shared.logging import get_logger

log = get_logger("registry.volunteer_links")

#: how long registry waits for notifications to accept the message
SEND_TIMEOUT_S = 10.0


class LinkRefused(Unauthenticated):
    """Unknown, expired or used link, or an erased person: one answer for all of them."""

    title = Text("Tautan tidak berlaku", "Link not valid")

    def __init__(self) -> None:
        super().__init__(
            t(
                "tautan ini tidak berlaku lagi (sudah dipakai atau kedaluwarsa); minta tautan "
                "baru kepada operator Dinas Sosial",
                "this link is no longer valid (used or expired); ask the Dinas Sosial "
                "operator for a new one",
            )
        )


class LinkNotSent(Unavailable):
    """notifications did not accept the message (the link made is never usable by anyone:
    nobody has its code)."""

    title = Text("Tautan belum terkirim", "Link not sent")

    def __init__(self) -> None:
        super().__init__(
            t(
                "layanan notifikasi tidak dapat dihubungi; tautan belum terkirim, coba lagi nanti",
                "the notifications service could not be reached; the link was not sent, "
                "try again later",
            ),
            retry_after_s=30,
        )


def code_hash(code: str) -> str:
    """What is stored of a link's code."""
    return hashlib.sha256(code.encode()).hexdigest()


def new_link(
    session: AsyncSession, volunteer: Volunteer, *, actor: Actor, ttl: timedelta, now: datetime
) -> str:
    """A fresh code for the volunteer's page, stored as its hash and audited (without the
    code), in the caller's transaction; returns the code (to send, never to keep)."""
    code = secrets.token_urlsafe(32)
    expires = now + ttl
    session.add(
        VolunteerLink(
            code_hash=code_hash(code),
            volunteer_id=volunteer.id,
            created_by=actor.subject,
            created_at=now,
            expires_at=expires,
        )
    )
    audit(
        session,
        actor,
        AuditAction.ACCESS_LINK_SEND,
        now=now,
        volunteer_id=volunteer.id,
        detail=f"expires {expires.isoformat()}",
    )
    return code


def sender_token(issuer: TokenIssuer) -> str:
    """registry's own service token for notifications, holding `access-links:send`."""
    return issuer.mint(
        subject="registry",
        role=Role.SERVICE,
        scope="national",
        audiences=[Audience.NOTIFICATIONS],
        ttl=SERVICE_TOKEN_TTL,
        permissions=[Permission.ACCESS_LINKS_SEND],
    )


async def send_link(
    notifications_url: str,
    volunteer_id: uuid.UUID,
    code: str,
    *,
    token: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Ask notifications to send the link over the volunteer's channel; `LinkNotSent` when
    it does not accept (the URL holds no code: it travels in the body)."""
    url = f"{notifications_url.rstrip('/')}/internal/volunteers/{volunteer_id}/access-link"
    try:
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT_S, transport=transport) as client:
            answer = await client.post(
                url, json={"code": code}, headers={"Authorization": f"Bearer {token}"}
            )
    except httpx.HTTPError as exc:
        log.warning("access link: notifications unreachable", error=type(exc).__name__)
        raise LinkNotSent() from exc
    if answer.status_code != 202:
        log.warning("access link: notifications refused", status=answer.status_code)
        raise LinkNotSent()


async def redeem(session: AsyncSession, code: str, *, now: datetime) -> uuid.UUID:
    """Spend a link (in the caller's transaction): the volunteer's id when the code is
    known, unexpired, unused and the person not erased; `LinkRefused` otherwise. The
    conditional UPDATE is what makes it single-use under concurrency."""
    digest = code_hash(code)
    link = await session.get(VolunteerLink, digest)
    if link is None or now >= aware(link.expires_at) or link.used_at is not None:
        raise LinkRefused()
    spent = await session.execute(
        update(VolunteerLink)
        .where(and_(col(VolunteerLink.code_hash) == digest, col(VolunteerLink.used_at).is_(None)))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefused()  # another redeem won
    volunteer = await session.get(Volunteer, link.volunteer_id)
    if volunteer is None or volunteer.erased_at is not None:
        raise LinkRefused()
    actor = Actor(str(volunteer.id), str(Role.VOLUNTEER), str(volunteer.id))
    audit(session, actor, AuditAction.ACCESS_LINK_REDEEM, now=now, volunteer_id=volunteer.id)
    return volunteer.id


def volunteer_token(issuer: TokenIssuer, volunteer_id: uuid.UUID, *, ttl: timedelta) -> str:
    """A volunteer's access token: subject = scope = their id, every service's audience
    (each accepts it on its `/me` routes only), at most 15 minutes; no refresh token."""
    return issuer.mint(
        subject=str(volunteer_id),
        role=Role.VOLUNTEER,
        scope=str(volunteer_id),
        audiences=VOLUNTEER_AUDIENCES,
        ttl=min(ttl, MAX_TOKEN_LIFETIME),
    )
