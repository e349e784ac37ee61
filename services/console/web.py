"""What every page shares: the console's state, the session of the request, the page
language, CSRF checks and rendering."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import jwt
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from services.console.catalogue import LANG_COOKIE, label, language_of_cookie
from services.console.client import Api, SignInAgain
from services.console.config import Settings
from services.console.session import Session, SessionCodec
from shared.clock import SYSTEM_CLOCK, Clock
from shared.i18n import Language
from shared.logging import get_logger
from shared.metrics import ServiceMetrics

log = get_logger("console.web")
HERE = Path(__file__).resolve().parent


@dataclass
class ConsoleState:
    """Everything the pages are given (one typed object, like the services' states)."""

    settings: Settings
    api: Api
    codec: SessionCodec
    templates: Jinja2Templates
    metrics: ServiceMetrics
    clock: Clock = field(default=SYSTEM_CLOCK)

    def now(self) -> float:
        """Epoch seconds on the console's clock."""
        return self.clock.now().timestamp()


def templates() -> Jinja2Templates:
    """The page templates (autoescaped: `.html`)."""
    return Jinja2Templates(directory=HERE / "templates")


class CsrfRefused(Exception):
    """A POST without the session's CSRF token, or from another origin."""


class SessionEnded(SignInAgain):
    """The idle timeout ended the session (the sign-in page says so)."""


def state_of(request: Request) -> ConsoleState:
    """The console's state."""
    state: ConsoleState = request.app.state.console
    return state


def session_of(request: Request) -> Session:
    """The request's session (an anonymous one, holding a CSRF token, when none came)."""
    existing: Session | None = getattr(request.state, "session", None)
    if existing is None:
        existing = Session()
        keep(request, existing)
    return existing


def keep(request: Request, session: Session | None) -> None:
    """The session the response's cookie will carry (None: end it)."""
    request.state.session = session
    request.state.session_changed = True


def language(request: Request) -> Language:
    """The page language, from the `lang` cookie."""
    return language_of_cookie(request.cookies.get(LANG_COOKIE))


@dataclass(frozen=True)
class Operator:
    """A signed-in operator, as the pages know them (from their token's claims)."""

    token: str
    role: str
    scope: str
    email: str
    language: Language

    @property
    def is_national_admin(self) -> bool:
        """A national admin (sees platform health, manages every account)."""
        return self.role == "national_admin"

    @property
    def manages_accounts(self) -> bool:
        """National admins and province operators administer accounts."""
        return self.role in ("national_admin", "province_operator")

    @property
    def writes(self) -> bool:
        """Whether the role may change data (viewers read only)."""
        return self.role != "viewer"


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, unverified: the console only displays them; every service
    verifies the token itself on each call."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def signed_in_session(
    session: Session, answer: dict[str, Any], *, email: str, now: float
) -> Session:
    """A session holding a login's (or refresh's) tokens."""
    claims = claims_of(answer["access_token"])
    return replace(
        session,
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=float(claims.get("exp", now + answer.get("expires_in", 0))),
        role=str(claims.get("role", "")),
        scope=str(claims.get("scope", "")),
        email=email,
        last_seen=now,
    )


async def current_operator(request: Request) -> Operator:
    """The signed-in operator (401-like `SignInAgain` otherwise); ends an idle session and
    renews an access token about to expire."""
    state = state_of(request)
    session = session_of(request)
    now = state.now()
    if not session.signed_in or session.kind != "operator":  # a volunteer's: not here
        raise SignInAgain(401)
    if session.idle(now, state.settings.idle_timeout_minutes * 60):
        await end_session(request, session)
        raise SessionEnded(401)
    if session.expires_at - now < state.settings.refresh_before_s:
        session = await _refreshed(request, session, now)
    session = session.touched(now)
    keep(request, session)
    return Operator(
        token=session.access_token or "",
        role=session.role or "",
        scope=session.scope or "",
        email=session.email or "",
        language=language(request),
    )


async def _refreshed(request: Request, session: Session, now: float) -> Session:
    state = state_of(request)
    try:
        r = await state.api.send(
            "registry",
            "POST",
            "/auth/refresh",
            token=None,
            json={"refresh_token": session.refresh_token},
        )
    except SignInAgain:
        keep(request, None)
        raise
    return signed_in_session(session, r.json(), email=session.email or "", now=now)


async def end_session(request: Request, session: Session) -> None:
    """Log out at registry (best effort: the tokens expire anyway) and drop the cookie."""
    if session.access_token:
        try:
            await state_of(request).api.send(
                "registry", "POST", "/auth/logout", token=session.access_token
            )
        except Exception as exc:  # the session ends here whatever registry answers
            log.info("logout at registry failed", error=type(exc).__name__)
    keep(request, Session())


SignedIn = Annotated[Operator, Depends(current_operator)]


async def require_csrf(request: Request) -> None:
    """Every POST carries the session's CSRF token (form field `csrf`) and, when the
    browser names an origin, comes from the console's own."""
    if request.method != "POST":
        return
    origin = request.headers.get("origin")
    if origin is not None and not _same_origin(request, origin):
        raise CsrfRefused()
    form = await request.form()
    token = form.get("csrf")
    existing: Session | None = getattr(request.state, "session", None)
    if existing is None or not existing.csrf_matches(token if isinstance(token, str) else None):
        raise CsrfRefused()


def _same_origin(request: Request, origin: str) -> bool:
    allowed = {_origin(state_of(request).settings.public_base_url), _origin(str(request.base_url))}
    return _origin(origin) in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def form_of(request: Request) -> FormData:
    """The request's form (already read by the CSRF check)."""
    return await request.form()


def render(
    request: Request,
    name: str,
    *,
    status: int = 200,
    operator: Operator | None = None,
    **values: Any,
) -> HTMLResponse:
    """A page in the request's language, with the labels and the CSRF token at hand."""
    state = state_of(request)
    lang = language(request)

    def _(key: str, **params: object) -> str:
        return label(key, lang, **params)

    context = {
        "_": _,
        "lang": lang,
        "csrf": session_of(request).csrf,
        "operator": operator,
        "path": request.url.path,
        **values,
    }
    response = state.templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response
