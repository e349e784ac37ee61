"""Sign in, sign out and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.catalogue import LANG_COOKIE
from services.console.client import Refused, SignInAgain
from services.console.web import (
    end_session,
    form_of,
    keep,
    language,
    render,
    session_of,
    signed_in_session,
    state_of,
)

router = APIRouter()

NOTICES = {"habis": "login.expired", "masuk": "login.needed", "keluar": "login.out"}


@router.get("/masuk")
async def sign_in_page(request: Request, pesan: str | None = None) -> Response:
    """The sign-in form (a notice when a session ended)."""
    session_of(request)  # an anonymous session: the form's CSRF token
    return render(request, "masuk.html", notice=NOTICES.get(pesan or ""))


@router.post("/masuk")
async def sign_in(request: Request) -> Response:
    """Log in at registry with the form's email and password; the tokens go into the
    session cookie, never into the page."""
    form = await form_of(request)
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    state = state_of(request)
    try:
        r = await state.api.send(
            "registry",
            "POST",
            "/auth/login",
            token=None,
            language=language(request),
            json={"email": email, "password": password},
        )
    except (SignInAgain, Refused) as exc:
        error = "login.throttled" if exc.status == 429 else "login.failed"
        return render(request, "masuk.html", status=exc.status, error=error, email=email)
    # A fresh session (new CSRF token) at sign-in: a token seen before cannot be reused.
    fresh = signed_in_session(type(session_of(request))(), r.json(), email=email, now=state.now())
    keep(request, fresh)
    return RedirectResponse("/dasbor", status_code=303)


@router.post("/keluar")
async def sign_out(request: Request) -> Response:
    """End the login session at registry and drop the cookie."""
    await end_session(request, session_of(request))
    return RedirectResponse("/masuk?pesan=keluar", status_code=303)


@router.post("/bahasa")
async def switch_language(request: Request) -> Response:
    """Switch between Bahasa Indonesia and English (a cookie; URLs stay the same)."""
    form = await form_of(request)
    target = "en" if form.get("lang") == "en" else "id"
    back = str(form.get("next") or "/dasbor")
    if not back.startswith("/") or back.startswith("//"):
        back = "/dasbor"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(LANG_COOKIE, target, samesite="lax", path="/", max_age=365 * 86400)
    return response
