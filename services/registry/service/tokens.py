"""Registry as the platform's token issuer: operator logins (access token + rotating refresh
token), logout, service tokens (client credentials), and the revocations every verifier
follows.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each is good once:
refreshing spends it and issues the next one in the same login session, and presenting a
spent one again ends the whole session (whoever holds the other copy stole it). A session
lives at most `refresh_token_ttl_s` from its login, however often it is refreshed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.registry.db.tables import LoginSession, Operator, RefreshToken, TokenRevocation
from services.registry.domain.enums import RevocationReason
from services.registry.domain.errors import ClientRefused, LoginFailed, RefreshRefused
from services.registry.domain.operators import SERVICE_GRANTS
from services.registry.service.passwords import Passwords
from shared.clock import Clock
from shared.identity import (
    MAX_TOKEN_LIFETIME,
    OPERATOR_AUDIENCES,
    Audience,
    Permission,
    Principal,
    Revocation,
    Revocations,
    Role,
    TokenIssuer,
)

#: A service's token lives this long (it renews it before expiry).
SERVICE_TOKEN_TTL = timedelta(minutes=5)
#: The feed holds every revocation younger than the longest token lifetime plus this margin
#: (clock skew, a verifier's poll interval).
FEED_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenPair:
    """What a login or a refresh answers."""

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class RefreshOutcome:
    """A refresh's result: a new pair, or a refusal to raise once the transaction (which
    may have ended a session on reuse) is committed."""

    pair: TokenPair | None

    def unwrap(self) -> TokenPair:
        """The pair; `RefreshRefused` (401) for a refused refresh."""
        if self.pair is None:
            raise RefreshRefused()
        return self.pair


def refresh_hash(token: str) -> str:
    """What is stored of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()


def aware(moment: datetime) -> datetime:
    """A stored instant as UTC (SQLite hands timestamps back without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _access_token(
    issuer: TokenIssuer, operator: Operator, session_id: uuid.UUID, ttl: timedelta
) -> str:
    return issuer.mint(
        subject=str(operator.id),
        role=Role(operator.role),
        scope=operator.scope,
        audiences=OPERATOR_AUDIENCES,
        ttl=ttl,
        session=str(session_id),
    )


def _new_refresh(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(RefreshToken(token_hash=refresh_hash(token), session_id=session_id, issued_at=now))
    return token


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    passwords: Passwords,
    issuer: TokenIssuer,
    access_ttl: timedelta,
    refresh_ttl: timedelta,
    now: datetime,
) -> TokenPair:
    """A new login session for the account of `email` when `password` matches and the
    account is active; `LoginFailed` (the same 401 whichever it was) otherwise. A hash made
    with older parameters is replaced by one with the current ones."""
    found = await session.execute(select(Operator).where(col(Operator.email) == email.lower()))
    operator = found.scalar_one_or_none()
    # Verified even for an unknown email or a disabled account: the answer's time must not
    # tell which accounts exist.
    stored = operator.password_hash if operator is not None else None
    if not await passwords.verify(stored, password) or operator is None or not operator.active:
        raise LoginFailed()
    if stored is not None and passwords.needs_rehash(stored):
        operator.password_hash = await passwords.hash(password)
    login_session = LoginSession(
        operator_id=operator.id, started_at=now, expires_at=now + refresh_ttl
    )
    session.add(login_session)
    refresh = _new_refresh(session, login_session.id, now)
    await session.flush()
    return TokenPair(
        access_token=_access_token(issuer, operator, login_session.id, access_ttl),
        refresh_token=refresh,
        expires_in=int(access_ttl.total_seconds()),
    )


async def refresh(
    session: AsyncSession,
    *,
    token: str,
    issuer: TokenIssuer,
    access_ttl: timedelta,
    now: datetime,
) -> RefreshOutcome:
    """Spend a refresh token for a new pair in the same session. A spent token presented
    again ends its session and revokes the session's access tokens (theft); unknown, expired
    or ended: refused. Call `unwrap()` after committing."""
    digest = refresh_hash(token)
    spent = await session.execute(
        update(RefreshToken)
        .where(and_(col(RefreshToken.token_hash) == digest, col(RefreshToken.spent_at).is_(None)))
        .values(spent_at=now)
    )
    row = await session.get(RefreshToken, digest)
    if row is None:
        return RefreshOutcome(None)
    login_session = await session.get(LoginSession, row.session_id)
    if login_session is None:
        return RefreshOutcome(None)
    operator = await session.get(Operator, login_session.operator_id)
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        if login_session.ended_at is None and operator is not None:
            await end_session(
                session, login_session, str(operator.id), RevocationReason.REFRESH_REUSE, now=now
            )
        return RefreshOutcome(None)
    if (
        login_session.ended_at is not None
        or now >= aware(login_session.expires_at)
        or operator is None
        or not operator.active
    ):
        return RefreshOutcome(None)
    next_refresh = _new_refresh(session, login_session.id, now)
    await session.flush()
    return RefreshOutcome(
        TokenPair(
            access_token=_access_token(issuer, operator, login_session.id, access_ttl),
            refresh_token=next_refresh,
            expires_in=int(access_ttl.total_seconds()),
        )
    )


async def end_session(
    session: AsyncSession,
    login_session: LoginSession,
    subject: str,
    reason: RevocationReason,
    *,
    now: datetime,
) -> None:
    """End one login session: its refresh tokens die with it and its access tokens are
    revoked (a session revocation)."""
    login_session.ended_at = now
    login_session.end_reason = reason
    session.add(
        TokenRevocation(subject=subject, session=str(login_session.id), at=now, reason=reason)
    )
    await session.flush()


async def logout(session: AsyncSession, principal: Principal, *, now: datetime) -> bool:
    """End the login session of the caller's token; whether there was one to end (a token
    without a session, e.g. the development CLI's, has none)."""
    if principal.session is None:
        return False
    try:
        session_id = uuid.UUID(principal.session)
    except ValueError:
        return False
    login_session = await session.get(LoginSession, session_id)
    if login_session is None or login_session.ended_at is not None:
        return False
    if str(login_session.operator_id) != principal.subject:
        return False
    await end_session(session, login_session, principal.subject, RevocationReason.LOGOUT, now=now)
    return True


async def revoke_subject(
    session: AsyncSession, operator_id: uuid.UUID, reason: RevocationReason, *, now: datetime
) -> None:
    """Refuse every token the operator holds, issued up to now, and end every open login
    session (their refresh tokens die with them)."""
    session.add(TokenRevocation(subject=str(operator_id), session=None, at=now, reason=reason))
    await session.execute(
        update(LoginSession)
        .where(
            and_(
                col(LoginSession.operator_id) == operator_id,
                col(LoginSession.ended_at).is_(None),
            )
        )
        .values(ended_at=now, end_reason=reason)
    )
    await session.flush()


async def recent_revocations(session: AsyncSession, *, now: datetime) -> list[Revocation]:
    """Every revocation that can still matter: younger than the longest token lifetime plus
    a margin (older tokens have expired anyway)."""
    since = now - MAX_TOKEN_LIFETIME - FEED_MARGIN
    rows = await session.execute(
        select(TokenRevocation)
        .where(col(TokenRevocation.at) > since)
        .order_by(col(TokenRevocation.at), col(TokenRevocation.id))
    )
    return [
        Revocation(subject=r.subject, at=round(aware(r.at).timestamp(), 3), session=r.session)
        for r in rows.scalars()
    ]


def service_token(
    *,
    client_id: str,
    client_secret: str,
    audience: str,
    secrets_by_client: Mapping[str, SecretStr],
    issuer: TokenIssuer,
) -> tuple[str, int]:
    """A platform service's access token (client credentials) with exactly its grants, for
    one audience, and its lifetime in seconds; `ClientRefused` (401) for an unknown client
    or a wrong secret (compared in constant time either way)."""
    configured = secrets_by_client.get(client_id)
    expected = configured.get_secret_value() if configured is not None else secrets.token_hex(32)
    matches = hmac.compare_digest(expected.encode(), client_secret.encode())
    grants = SERVICE_GRANTS.get(client_id)
    if not matches or configured is None or grants is None:
        raise ClientRefused()
    token = issuer.mint(
        subject=client_id,
        role=Role.SERVICE,
        scope="national",
        audiences=[Audience(audience)],
        ttl=SERVICE_TOKEN_TTL,
        permissions=[Permission(p) for p in sorted(grants)],
    )
    return token, int(SERVICE_TOKEN_TTL.total_seconds())


class OwnRevocations:
    """Registry's own verifier follows the revocations in its database: every replica reads
    them every `poll_s` (another replica's change), at once after a change in this process,
    and before checking a token whenever the snapshot is older than `poll_s` (a process
    serving without its background jobs, a clock that jumped)."""

    def __init__(
        self,
        revocations: Revocations,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        clock: Clock,
        poll_s: float,
    ) -> None:
        self.revocations = revocations
        self.poll_s = poll_s
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._lock = asyncio.Lock()

    async def fetch(self) -> tuple[list[Revocation], float]:
        """The recent revocations and the instant (this clock) they are current as of."""
        now = self._clock.now()
        async with self._sessionmaker() as session:
            entries = await recent_revocations(session, now=now)
        return entries, now.timestamp()

    async def reload(self) -> None:
        """Read the revocations now (after a change committed in this process)."""
        entries, as_of = await self.fetch()
        self.revocations.replace(entries, as_of=as_of)

    async def ensure_fresh(self) -> None:
        """Reload when the snapshot is missing or older than `poll_s`."""
        age = self.revocations.age_s()
        if age is not None and age < self.poll_s:
            return
        async with self._lock:
            age = self.revocations.age_s()
            if age is None or age >= self.poll_s:
                await self.reload()


def parse_signing_keys(pems: str) -> list[str]:
    """The PEM blocks of a concatenation of PKCS#8 private keys, in order."""
    marker = "-----BEGIN PRIVATE KEY-----"
    return [marker + part for part in pems.split(marker)[1:] if part.strip()]


def retired_keys(jwks: str | None) -> Iterable[dict[str, str]]:
    """The keys of a JWKS document of retired public keys (none when not set)."""
    if not jwks:
        return []
    keys = json.loads(jwks).get("keys", [])
    if not isinstance(keys, list):
        raise ValueError("retired_public_keys must be a JWKS: {'keys': [...]}")
    return [dict(k) for k in keys]
