"""Following the token issuer (registry): its public keys, its revocations, and this
service's own access token.

A verifying service (training, notifications) holds no signing key. It learns registry's
public keys from its JWKS (at start, every 5 minutes, and at once when a token names a key
it does not know, at most every 10 s), follows registry's revocations by polling them (a
verifier refuses every token once the list is older than a minute: fail closed), and
obtains its own short-lived token with client credentials to call registry.

Log lines here never carry a token, a secret or an answer's body: only error types and
status codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Gauge
from pydantic import SecretStr

from shared.clock import SYSTEM_CLOCK, Clock
from shared.identity import (
    Audience,
    PublicKeys,
    Revocation,
    Revocations,
    TokenVerifier,
)
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger("shared.trust")

#: a fetch of the issuer's revocations: the entries and the issuer's time they are current as of
RevocationsFetch = Callable[[], Awaitable[tuple[list[Revocation], float]]]

#: how often the JWKS is re-read when nothing asks sooner
JWKS_INTERVAL_S = 300.0
#: a token naming an unknown key makes the verifier re-read the JWKS at most this often
UNKNOWN_KEY_REFRESH_S = 10.0


class ServiceTokenUnavailable(httpx.HTTPError):
    """This service could not obtain its own token from the issuer (network, refusal)."""


class ServiceTokens(httpx.Auth):
    """This service's access token from registry's `/auth/token` (OAuth 2 client
    credentials), cached and renewed before it expires.

    Also an `httpx.Auth`: a client built with `auth=tokens` sends the token on every
    request, and on a 401 obtains a fresh one and retries once.
    """

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        token_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        audience: Audience | str = Audience.REGISTRY,
        clock: Clock = SYSTEM_CLOCK,
        renew_before_s: float = 60.0,
    ) -> None:
        self._client = client
        self._token_url = token_url
        self._client_id = client_id
        self._secret = (
            client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        )
        self._audience = str(Audience(audience))
        self._clock = clock
        self._renew_before_s = renew_before_s
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """A valid token (the cached one until shortly before it expires)."""
        async with self._lock:
            now = self._clock.now().timestamp()
            if self._token is None or now >= self._renew_at:
                self._token, lifetime = await self._obtain()
                # Renew a minute early, or half-way for tokens shorter than two minutes.
                self._renew_at = now + max(lifetime - self._renew_before_s, lifetime / 2)
            return self._token

    def forget(self) -> None:
        """Drop the cached token (the issuer refused it): the next call obtains a new one."""
        self._token = None

    async def _obtain(self) -> tuple[str, float]:
        try:
            answer = await self._client.post(
                self._token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._secret.get_secret_value(),
                    "audience": self._audience,
                },
            )
        except httpx.HTTPError as exc:
            raise ServiceTokenUnavailable(
                f"the token endpoint is unreachable ({type(exc).__name__})"
            ) from exc
        if answer.status_code != 200:
            raise ServiceTokenUnavailable(
                f"the token endpoint answered {answer.status_code} for client {self._client_id}"
            )
        try:
            body = answer.json()
            return str(body["access_token"]), float(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceTokenUnavailable("the token endpoint's answer is malformed") from exc

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Send the token; on 401 obtain a fresh one and retry once."""
        request.headers["Authorization"] = f"Bearer {await self.token()}"
        response = yield request
        if response.status_code == 401:
            self.forget()
            request.headers["Authorization"] = f"Bearer {await self.token()}"
            yield request


def http_revocations(
    client: httpx.AsyncClient, url: str, tokens: ServiceTokens
) -> RevocationsFetch:
    """A fetch of registry's `GET /internal/revocations` with this service's token."""

    async def fetch() -> tuple[list[Revocation], float]:
        answer = await client.get(url, auth=tokens)
        if answer.status_code != 200:
            raise RuntimeError(f"the revocations endpoint answered {answer.status_code}")
        body: dict[str, Any] = answer.json()
        entries = [
            Revocation(
                subject=str(e["subject"]),
                at=float(e["at"]),
                session=None if e.get("session") is None else str(e["session"]),
            )
            for e in body["revocations"]
        ]
        return entries, float(body["as_of"])

    return fetch


async def follow_revocations(
    revocations: Revocations,
    fetch: RevocationsFetch,
    *,
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Replace the revocation snapshot from `fetch` at start and every `interval_s` until
    `stop` is set; a failed fetch is logged (the snapshot ages, and verification fails
    closed once it is too old)."""
    failures = 0
    while not stop.is_set():
        try:
            entries, as_of = await fetch()
            revocations.replace(entries, as_of=as_of)
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures += 1
            age = revocations.age_s()
            log.warning(
                "token revocations not refreshed",
                error=type(exc).__name__,
                snapshot_age_s=None if age is None else round(age, 1),
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), retry_after(failures, interval_s))


def retry_after(failures: int, interval_s: float) -> float:
    """The wait before the next poll: the interval after a success; after failures 1 s,
    2 s, 4 s … up to the interval (a service started before registry verifies tokens a
    second after registry answers, not a whole interval later)."""
    if failures == 0:
        return interval_s
    return float(min(interval_s, 2 ** (failures - 1)))


def revocations_age_gauge(registry: CollectorRegistry, age_s: Callable[[], float | None]) -> Gauge:
    """`psm_token_revocations_age_seconds`: how old the revocation snapshot is (-1 before
    the first one); tokens are refused once it passes the staleness limit."""
    gauge = Gauge(
        "psm_token_revocations_age_seconds",
        "Age of the token revocation list this service verifies against (-1: none yet)",
        registry=registry,
    )

    def read() -> float:
        age = age_s()
        return -1.0 if age is None else age

    gauge.set_function(read)
    return gauge


class JwksFollower:
    """Keeps a verifier's public keys equal to the issuer's JWKS."""

    def __init__(
        self,
        verifier: TokenVerifier,
        client: httpx.AsyncClient,
        url: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        min_interval_s: float = UNKNOWN_KEY_REFRESH_S,
    ) -> None:
        self._verifier = verifier
        self._client = client
        self._url = url
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> bool:
        """Read the JWKS now; whether the keys were replaced (failures are logged)."""
        self._last_attempt = self._clock.now().timestamp()
        try:
            answer = await self._client.get(self._url)
            if answer.status_code != 200:
                raise RuntimeError(f"the JWKS endpoint answered {answer.status_code}")
            keys = PublicKeys(answer.json())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("token keys not refreshed", error=type(exc).__name__)
            return False
        self._verifier.keys = keys
        return True

    async def refresh_for_unknown_key(self) -> bool:
        """A token named a key we do not know (the issuer rotated): read the JWKS again,
        unless that was tried less than 10 s ago (a flood of forged key ids must not
        become a flood of requests to the issuer)."""
        async with self._lock:
            now = self._clock.now().timestamp()
            if self._last_attempt is not None and now - self._last_attempt < self._min_interval_s:
                return False
            return await self.refresh()

    async def follow(self, *, interval_s: float = JWKS_INTERVAL_S, stop: asyncio.Event) -> None:
        """Refresh at start and every `interval_s` until `stop` is set (sooner after a
        failure: `retry_after`)."""
        failures = 0
        while not stop.is_set():
            failures = 0 if await self.refresh() else failures + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_after(failures, interval_s))


async def follow_jwks(
    verifier: TokenVerifier,
    client: httpx.AsyncClient,
    url: str,
    *,
    interval_s: float = JWKS_INTERVAL_S,
    stop: asyncio.Event,
) -> None:
    """Keep `verifier.keys` equal to the JWKS at `url` (at start, then every `interval_s`)."""
    await JwksFollower(verifier, client, url).follow(interval_s=interval_s, stop=stop)


def settings_verifier(
    name: str,
    settings: ServiceSettings,
    *,
    clock: Clock,
    revocations: Revocations | None = None,
) -> TokenVerifier:
    """The verifier of service `name` (audience `psm-<name>`) over the inline keys of its
    settings (`token_public_keys`; none: every token is refused until keys are loaded) and
    `revocations` (default: followed elsewhere)."""
    keys = PublicKeys(json.loads(settings.token_public_keys or '{"keys": []}'))
    return TokenVerifier(
        issuer=settings.token_issuer,
        audience=Audience(f"psm-{name}"),
        keys=keys,
        revocations=revocations or Revocations.followed_elsewhere(),
        clock=clock,
    )


@dataclass
class IssuerLink:
    """How a verifying service (training, notifications) follows registry: its verifier,
    the JWKS follower (None with inline keys), its own service tokens (None without a
    client secret) and the revocation fetch (None: followed elsewhere)."""

    verifier: TokenVerifier
    client: httpx.AsyncClient
    jwks: JwksFollower | None
    tokens: ServiceTokens | None
    revocations_fetch: RevocationsFetch | None
    settings: ServiceSettings

    @classmethod
    def build(cls, name: str, settings: ServiceSettings, *, clock: Clock) -> IssuerLink:
        """The link of service `name` (audience `psm-<name>`) from its settings; nothing
        connects until `follow` runs."""
        client = httpx.AsyncClient(timeout=5.0)
        tokens = None
        token_url = settings.service_token_url()
        if settings.service_client_secret is not None and token_url is not None:
            tokens = ServiceTokens(
                client=client,
                token_url=token_url,
                client_id=name,
                client_secret=settings.service_client_secret,
                clock=clock,
            )
        fetch = None
        revocations = None
        if settings.revocations_url and tokens is not None:
            fetch = http_revocations(client, settings.revocations_url, tokens)
            revocations = Revocations(
                clock=clock, max_staleness=timedelta(seconds=settings.revocation_max_staleness_s)
            )
        else:
            log.warning(
                "token revocations are not followed (no revocations_url or no "
                "service_client_secret): revoked tokens stay valid until they expire",
                service=name,
            )
        verifier = settings_verifier(name, settings, clock=clock, revocations=revocations)
        jwks = None
        if settings.jwks_url:
            jwks = JwksFollower(verifier, client, settings.jwks_url, clock=clock)
        elif not settings.token_public_keys:
            log.warning(
                "no token keys configured (jwks_url, token_public_keys): every token is refused",
                service=name,
            )
        return cls(verifier, client, jwks, tokens, fetch, settings)

    async def follow(self, _state: object = None) -> None:
        """The background job: follow the JWKS and the revocations until cancelled, then
        close the HTTP client."""
        stop = asyncio.Event()
        jobs = []
        if self.jwks is not None:
            jobs.append(self.jwks.follow(stop=stop))
        if self.revocations_fetch is not None:
            jobs.append(
                follow_revocations(
                    self.verifier.revocations,
                    self.revocations_fetch,
                    interval_s=self.settings.revocation_poll_s,
                    stop=stop,
                )
            )
        try:
            await asyncio.gather(*jobs)
            await stop.wait()  # until cancelled: the service tokens still use the client
        finally:
            stop.set()
            await self.client.aclose()
