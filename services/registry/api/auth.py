"""Registry as the token issuer: operator login, refresh, logout and password change; service
tokens (client credentials); the public keys (JWKS).

Public routes here (no bearer token): `/auth/login`, `/auth/refresh`, `/auth/token` (client
authentication in the body) and `/.well-known/jwks.json`.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.registry.api.deps import OperatorActor, State
from services.registry.domain.errors import (
    ClientRefused,
    LoginFailed,
    RefreshRefused,
    WeakPassword,
    WrongPassword,
)
from services.registry.service import operators, tokens
from shared.auth import CurrentPrincipal
from shared.deps import Session
from shared.errors import RateLimited
from shared.i18n import t
from shared.identity import Audience
from shared.problems import raises
from shared.throttle import TokenBuckets, throttle

router = APIRouter(tags=["auth"])

#: No-store: tokens must not sit in a cache (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_login_per_client = throttle("login", per_minute=10, burst=5, settings_prefix="login_rate")
# The other public routes: registry's `public_rate_*` settings (a service renews its token
# every few minutes and its keys every five; a client far above that is not a service).
_refresh_per_client = throttle("refresh", per_minute=120, burst=30)
_token_per_client = throttle("service-token", per_minute=120, burst=30)
_jwks_per_client = throttle("jwks", per_minute=120, burst=30)


class LoginRequest(BaseModel):
    """An operator's credentials."""

    email: str = Field(min_length=3, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    """A refresh token from a login or an earlier refresh."""

    refresh_token: str = Field(min_length=1, max_length=200)


class TokenAnswer(BaseModel):
    """An access token (and for operators a refresh token)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


class LoginAnswer(TokenAnswer):
    """An operator's access token and the refresh token to renew it."""

    refresh_token: str


class PasswordChange(BaseModel):
    """The current password and the new one."""

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=12, max_length=256)


def _throttle_email(request: Request, state: State, email: str) -> None:
    """At most `login_rate_per_minute` attempts per email address, from any client (a
    password-guessing run spread over many addresses); shared.throttle's buckets, keyed by
    the address's hash, on the application like the per-client ones."""
    settings = state.registry_settings
    app_state = request.app.state
    if not hasattr(app_state, "login_email_buckets"):
        app_state.login_email_buckets = TokenBuckets()
    buckets: TokenBuckets = app_state.login_email_buckets
    key = ("login-email", hashlib.sha256(email.strip().lower().encode()).hexdigest())
    wait = buckets.take(
        key,
        now=state.clock.now().timestamp(),
        per_minute=settings.login_rate_per_minute,
        burst=settings.login_rate_burst,
    )
    if wait > 0:
        raise RateLimited(
            t(
                "terlalu banyak percobaan masuk untuk akun ini; coba lagi nanti",
                "too many login attempts for this account",
            ),
            retry_after_s=round(wait, 3),
        )


@router.post(
    "/auth/login",
    response_model=LoginAnswer,
    summary="Operator login",
    dependencies=[Depends(_login_per_client)],
)
@raises(LoginFailed, RateLimited)
async def login(
    body: LoginRequest, session: Session, state: State, request: Request, response: Response
) -> LoginAnswer:
    """A short-lived access token (good at every service) and a refresh token for an
    operator's email and password; the same 401 for an unknown email, a wrong password or a
    disabled account."""
    _throttle_email(request, state, body.email)
    settings = state.registry_settings
    async with session.begin():
        pair = await tokens.login(
            session,
            email=body.email,
            password=body.password,
            passwords=state.passwords,
            issuer=state.issuer,
            access_ttl=timedelta(seconds=settings.access_token_ttl_s),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
            now=state.clock.now(),
        )
    response.headers.update(NO_STORE)
    return LoginAnswer(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post(
    "/auth/refresh",
    response_model=LoginAnswer,
    summary="Renew an operator's tokens",
    dependencies=[Depends(_refresh_per_client)],
)
@raises(RefreshRefused)
async def refresh(
    body: RefreshRequest, session: Session, state: State, response: Response
) -> LoginAnswer:
    """Spend a refresh token for a new pair in the same login session. A refresh token works
    once: presenting it again ends the session (it was copied) and answers 401."""
    settings = state.registry_settings
    async with session.begin():
        outcome = await tokens.refresh(
            session,
            token=body.refresh_token,
            issuer=state.issuer,
            access_ttl=timedelta(seconds=settings.access_token_ttl_s),
            now=state.clock.now(),
        )
    if outcome.pair is None:
        # A reuse may have ended a session: this process stops accepting it at once.
        await state.own_revocations.reload()
    pair = outcome.unwrap()  # after the commit: a refused reuse still ends the session
    response.headers.update(NO_STORE)
    return LoginAnswer(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/logout", status_code=204, summary="End this login session")
async def logout(principal: CurrentPrincipal, session: Session, state: State) -> None:
    """End the login session of the bearer token: its refresh token stops working and its
    access tokens are revoked at every service."""
    async with session.begin():
        ended = await tokens.logout(session, principal, now=state.clock.now())
    if ended:
        await state.own_revocations.reload()


@router.post("/auth/password", status_code=204, summary="Change your own password")
@raises(WrongPassword, WeakPassword)
async def change_password(
    body: PasswordChange, actor: OperatorActor, session: Session, state: State
) -> None:
    """Replace your password, given the current one; every login session of the account ends
    (log in again everywhere)."""
    async with session.begin():
        await operators.change_password(
            session,
            actor=actor,
            current=body.current_password,
            new=body.new_password,
            passwords=state.passwords,
            now=state.clock.now(),
        )
    await state.own_revocations.reload()


@router.post(
    "/auth/token",
    response_model=TokenAnswer,
    summary="Service token (client credentials)",
    dependencies=[Depends(_token_per_client)],
)
@raises(ClientRefused)
async def service_token(
    grant_type: Annotated[Literal["client_credentials"], Form()],
    client_id: Annotated[str, Form(min_length=1, max_length=100)],
    client_secret: Annotated[str, Form(min_length=1, max_length=1000)],
    state: State,
    response: Response,
    audience: Annotated[Audience, Form()] = Audience.REGISTRY,
) -> TokenAnswer:
    """A platform service's access token (5 minutes) for one audience, carrying exactly the
    permissions registry grants that service; 401 for an unknown client or a wrong secret."""
    token, ttl = tokens.service_token(
        client_id=client_id,
        client_secret=client_secret,
        audience=audience,
        secrets_by_client=state.registry_settings.service_client_secrets,
        issuer=state.issuer,
    )
    response.headers.update(NO_STORE)
    return TokenAnswer(access_token=token, expires_in=ttl)


@router.get(
    "/.well-known/jwks.json",
    summary="The issuer's public keys (JWKS)",
    dependencies=[Depends(_jwks_per_client)],
)
async def jwks(state: State) -> Any:
    """Every public key whose tokens verify: the signing key, keys being rotated out and the
    retired ones still published."""
    return JSONResponse(
        state.issuer.public_keys.jwks(), headers={"Cache-Control": "public, max-age=300"}
    )
