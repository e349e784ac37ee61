"""Following the issuer over real HTTP on loopback: the JWKS (and a rotation learned on the
first token of a new key), revocations (followed, and failing closed after a minute of
silence), and a service's own client-credentials token (cached, renewed, retried on 401)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.clock import FrozenClock
from shared.errors import Unauthenticated, Unavailable
from shared.identity import (
    Audience,
    Permission,
    PublicKeys,
    Revocation,
    Revocations,
    RevocationsUnknown,
    Role,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
    UnknownKey,
)
from shared.trust import (
    JwksFollower,
    ServiceTokens,
    ServiceTokenUnavailable,
    follow_revocations,
    http_revocations,
)
from tests.notifications.helpers import serve
from tests.support import eventually

ISSUER = "psm-registry"
SECRET = "training-client-secret-for-this-test"
T0 = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)


@dataclass
class Issuer:
    """A registry stand-in: JWKS, /auth/token (client credentials), /internal/revocations."""

    clock: Any
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.generate()])
    revoked: list[Revocation] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    token_lifetime_s: int = 300

    def issuer(self) -> TokenIssuer:
        return TokenIssuer(self.keys, issuer=ISSUER, clock=self.clock)

    def rotate(self) -> None:
        self.keys = [SigningKey.generate(), *self.keys]

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.middleware("http")
        async def count(request: Request, call_next: Any) -> Any:
            self.requests[request.url.path] = self.requests.get(request.url.path, 0) + 1
            return await call_next(request)

        @api.get("/.well-known/jwks.json")
        async def jwks() -> Any:
            return self.issuer().public_keys.jwks()

        @api.post("/auth/token")
        async def token(request: Request) -> Any:
            form = await request.form()
            if (form.get("client_id"), form.get("client_secret")) != ("training", SECRET):
                return JSONResponse({"detail": "unknown client"}, status_code=401)
            minted = self.issuer().mint(
                subject="training",
                role=Role.SERVICE,
                scope="national",
                audiences=[str(form["audience"])],
                ttl=timedelta(seconds=self.token_lifetime_s),
                permissions=[Permission.REVOCATIONS_READ],
            )
            return {"access_token": minted, "token_type": "Bearer", "expires_in": 300}

        @api.get("/internal/revocations")
        async def revocations(request: Request) -> Any:
            verifier = TokenVerifier(
                issuer=ISSUER,
                audience=Audience.REGISTRY,
                keys=self.issuer().public_keys,
                revocations=Revocations.followed_elsewhere(),
                clock=self.clock,
            )
            header = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                if not verifier.verify(header).may(Permission.REVOCATIONS_READ):
                    return JSONResponse({"detail": "forbidden"}, status_code=403)
            except Unauthenticated:
                return JSONResponse({"detail": "unauthenticated"}, status_code=401)
            return {
                "as_of": self.clock.now().timestamp(),
                "revocations": [
                    {"subject": r.subject, "at": r.at, "session": r.session} for r in self.revoked
                ],
            }

        return api


@contextlib.asynccontextmanager
async def running(issuer: Issuer) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with serve(issuer.app()) as url, httpx.AsyncClient(timeout=5) as client:
        yield url, client


def verifier_of(clock: FrozenClock, revocations: Revocations | None = None) -> TokenVerifier:
    """training's verifier, knowing no key yet."""
    return TokenVerifier(
        issuer=ISSUER,
        audience=Audience.TRAINING,
        keys=PublicKeys({"keys": []}),
        revocations=revocations or Revocations.followed_elsewhere(),
        clock=clock,
    )


def operator_token(issuer: Issuer, subject: str = "op-1", session: str = "s-1") -> str:
    return issuer.issuer().mint(
        subject=subject,
        role=Role.REGENCY_OPERATOR,
        scope="32.76",
        audiences=[Audience.TRAINING],
        session=session,
    )


def tokens_for(client: httpx.AsyncClient, url: str, clock: FrozenClock) -> ServiceTokens:
    return ServiceTokens(
        client=client,
        token_url=f"{url}/auth/token",
        client_id="training",
        client_secret=SECRET,
        clock=clock,
    )


async def test_a_rotated_key_is_learned_from_the_jwks_on_its_first_token_at_most_every_10_s():
    clock = FrozenClock(T0)
    issuer = Issuer(clock)
    async with running(issuer) as (url, client):
        verifier = verifier_of(clock)
        follower = JwksFollower(verifier, client, f"{url}/.well-known/jwks.json", clock=clock)
        assert await follower.refresh()
        assert verifier.verify(operator_token(issuer)).subject == "op-1"

        issuer.rotate()
        fresh = operator_token(issuer, subject="op-2")
        with pytest.raises(UnknownKey):
            verifier.verify(fresh)
        clock.advance(timedelta(seconds=9))
        assert not await follower.refresh_for_unknown_key()  # too soon after the last read
        assert issuer.requests["/.well-known/jwks.json"] == 1
        clock.advance(timedelta(seconds=2))
        assert await follower.refresh_for_unknown_key()
        assert verifier.verify(fresh).subject == "op-2"
        assert verifier.verify(operator_token(issuer, subject="op-3")).subject == "op-3"


async def test_a_token_of_a_key_the_issuer_never_published_stays_refused_after_a_refresh():
    clock = FrozenClock(T0)
    issuer = Issuer(clock)
    stranger = Issuer(clock)
    async with running(issuer) as (url, client):
        verifier = verifier_of(clock)
        follower = JwksFollower(verifier, client, f"{url}/.well-known/jwks.json", clock=clock)
        assert await follower.refresh_for_unknown_key()
        with pytest.raises(UnknownKey):
            verifier.verify(operator_token(stranger))


async def test_revocations_are_followed_by_polling_with_the_services_own_token():
    issuer = Issuer(FrozenClock(T0))
    clock = issuer.clock
    async with running(issuer) as (url, client):
        revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
        verifier = verifier_of(clock, revocations)
        verifier.keys = issuer.issuer().public_keys
        token, other = operator_token(issuer), operator_token(issuer, subject="op-2")
        fetch = http_revocations(
            client, f"{url}/internal/revocations", tokens_for(client, url, clock)
        )
        stop = asyncio.Event()
        follower = asyncio.create_task(
            follow_revocations(revocations, fetch, interval_s=0.05, stop=stop)
        )
        try:
            await eventually(lambda: _async(revocations.as_of is not None), message="first poll")
            assert verifier.verify(token).subject == "op-1"

            clock.advance(timedelta(seconds=1))
            issuer.revoked.append(Revocation(subject="op-1", at=clock.now().timestamp()))

            async def refused() -> bool:
                try:
                    verifier.verify(token)
                except Unauthenticated:
                    return True
                return False

            await eventually(refused, message="the revoked operator's token is refused")
            assert verifier.verify(other).subject == "op-2"  # only that subject
            assert issuer.requests["/auth/token"] == 1  # one service token, cached
        finally:
            stop.set()
            await follower


async def test_verification_fails_closed_once_the_issuer_was_unreachable_for_a_minute():
    clock = FrozenClock(T0)
    issuer = Issuer(clock)
    revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
    verifier = verifier_of(clock, revocations)
    verifier.keys = issuer.issuer().public_keys
    async with running(issuer) as (url, client):
        fetch = http_revocations(
            client, f"{url}/internal/revocations", tokens_for(client, url, clock)
        )
        entries, as_of = await fetch()
        revocations.replace(entries, as_of=as_of)
    # The issuer is gone now: every poll fails, the snapshot only ages.
    async with httpx.AsyncClient(timeout=1) as client:
        dead = http_revocations(
            client, f"{url}/internal/revocations", tokens_for(client, url, clock)
        )
        with pytest.raises(ServiceTokenUnavailable):
            await dead()
        stop = asyncio.Event()
        stop.set()  # one round only
        await follow_revocations(revocations, dead, interval_s=0.01, stop=stop)
    token = operator_token(issuer)
    clock.advance(timedelta(seconds=59))
    assert verifier.verify(token).subject == "op-1"
    clock.advance(timedelta(seconds=2))
    with pytest.raises(RevocationsUnknown) as refused:
        verifier.verify(token)
    assert isinstance(refused.value, Unavailable)  # 503: retry shortly


async def test_a_failed_poll_keeps_the_last_snapshot_and_the_loop_goes_on():
    clock = FrozenClock(T0)
    revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
    answers: list[Any] = [RuntimeError("registry answered 502"), ([], T0.timestamp())]

    async def fetch() -> tuple[list[Revocation], float]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if not answers:
            stop.set()
        return answer  # type: ignore[no-any-return]

    stop = asyncio.Event()
    await asyncio.wait_for(
        follow_revocations(revocations, fetch, interval_s=0.01, stop=stop), timeout=5
    )
    assert revocations.as_of == T0.timestamp()


async def test_the_service_token_is_cached_renewed_before_expiry_and_refused_clients_are_told():
    clock = FrozenClock(T0)
    issuer = Issuer(clock)
    async with running(issuer) as (url, client):
        tokens = tokens_for(client, url, clock)
        first = await tokens.token()
        assert await tokens.token() == first
        clock.advance(timedelta(seconds=239))
        assert await tokens.token() == first
        clock.advance(timedelta(seconds=2))  # within a minute of expiry: renewed
        assert await tokens.token() != first
        assert issuer.requests["/auth/token"] == 2

        wrong = ServiceTokens(
            client=client,
            token_url=f"{url}/auth/token",
            client_id="training",
            client_secret="not-the-secret",
            clock=clock,
        )
        with pytest.raises(ServiceTokenUnavailable, match="answered 401 for client training"):
            await wrong.token()


async def test_a_refused_service_token_is_replaced_once_and_the_request_retried():
    clock = FrozenClock(T0)
    issuer = Issuer(clock)
    async with running(issuer) as (url, client):
        tokens = tokens_for(client, url, clock)
        await tokens.token()
        issuer.rotate()
        issuer.keys = issuer.keys[:1]  # the old key is withdrawn: the cached token fails
        answer = await client.get(f"{url}/internal/revocations", auth=tokens)
        assert answer.status_code == 200
        assert issuer.requests["/auth/token"] == 2


async def _async(value: bool) -> bool:
    return value


def test_a_failed_poll_is_retried_within_seconds_backing_off_to_the_interval():
    from shared.trust import retry_after

    assert [retry_after(n, 15.0) for n in range(7)] == [15.0, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert retry_after(3, 300.0) == 4.0
