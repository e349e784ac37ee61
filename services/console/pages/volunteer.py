"""The volunteer's own page, opened with a one-time link sent over their channel.

`GET /v/{code}` only shows a button: a chat app fetching the link for a preview must not
spend it. `POST /v/{code}` (the CSRF token of the anonymous session, like every console
form) redeems the code at registry and starts a *volunteer* session in the same sealed
cookie (`kind="volunteer"`; operator pages refuse it, these pages refuse an operator's),
then redirects to `/saya`: no code in the address once it is spent. The volunteer's token
lives at most 15 minutes and is not renewed: after it, a new link opens a new visit.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from services.console.certificate_pdf import PrintedCertificate, indonesian_date
from services.console.client import ApiProblem, NotFound, Refused, Service, SignInAgain
from services.console.pages.certificates import pdf_response, verification_url
from services.console.session import Session
from services.console.web import claims_of, form_of, keep, language, render, session_of, state_of

router = APIRouter()

CHANNELS = ("whatsapp", "sms", "email")
HOURS = tuple(range(24))


@dataclass(frozen=True)
class Volunteer:
    """A volunteer on their own page (their token, from the session cookie)."""

    token: str
    volunteer_id: str
    language: str


class VolunteerSessionOver(SignInAgain):
    """No volunteer session, or its token expired or went idle: a new link is needed."""


async def current_volunteer(request: Request) -> Volunteer:
    """The volunteer of the session; `VolunteerSessionOver` otherwise (an operator's session
    included: operators read a person through the operator pages)."""
    state = state_of(request)
    session = session_of(request)
    now = state.now()
    if session.kind != "volunteer" or not session.access_token:
        raise VolunteerSessionOver(401)
    timeout = state.settings.idle_timeout_minutes * 60
    if session.idle(now, timeout) or session.expires_at <= now:
        keep(request, Session())
        raise VolunteerSessionOver(401)
    keep(request, session.touched(now))
    return Volunteer(session.access_token, session.scope or "", language(request))


OwnPage = Annotated[Volunteer, Depends(current_volunteer)]


async def session_over(request: Request, exc: Exception) -> Response:
    """The handler of `VolunteerSessionOver`: ask for a new link (never the sign-in page)."""
    return link_over(request, status=401, reason="link.visit_over")


def link_over(request: Request, *, status: int = 410, reason: str = "link.over") -> Response:
    """The page for a used, expired or unknown link (or a visit that ended)."""
    return render(request, "tautan_habis.html", status=status, reason=reason)


@router.get("/v/{code}")
async def open_link(request: Request, code: str) -> Response:
    """A button that opens the page (GET spends nothing)."""
    session_of(request)  # an anonymous session: the form's CSRF token
    response = render(request, "tautan.html", code=code)
    # the code must not leave in a Referer; "no-referrer" would make the POST's Origin "null"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@router.post("/v/{code}")
async def redeem_link(request: Request, code: str) -> Response:
    """Spend the link at registry; a volunteer session and `/saya`, or the page saying to
    ask the Dinas Sosial operator for a new link."""
    state = state_of(request)
    try:
        r = await state.api.send(
            "registry",
            "POST",
            "/auth/volunteer-link",
            token=None,
            language=language(request),
            json={"code": code},
        )
    except (SignInAgain, Refused) as exc:
        throttled = exc.status == 429
        return link_over(
            request, status=exc.status, reason="link.throttled" if throttled else "link.over"
        )
    answer = r.json()
    now = state.now()
    claims = claims_of(answer["access_token"])
    keep(
        request,
        Session(
            kind="volunteer",
            access_token=answer["access_token"],
            expires_at=float(claims.get("exp", now + answer.get("expires_in", 0))),
            role="volunteer",
            scope=str(answer["volunteer_id"]),
            last_seen=now,
        ),
    )
    return RedirectResponse("/saya", status_code=303)


async def _optional(request: Request, me: Volunteer, service: Service, path: str) -> Any:
    """A part of the page another service holds; None when it cannot be read."""
    try:
        return await state_of(request).api.json(service, path, token=me.token, language=me.language)
    except SignInAgain:
        raise
    except ApiProblem:
        return None


async def _page(request: Request, me: Volunteer, *, status: int = 200, **values: Any) -> Response:
    try:
        person, records, prefs = await asyncio.gather(
            state_of(request).api.json("registry", "/me", token=me.token, language=me.language),
            _optional(request, me, "training", "/me/records"),
            _optional(request, me, "notifications", "/me/preferences"),
        )
    except SignInAgain:
        keep(request, Session())
        return link_over(request, reason="link.visit_over")
    return render(
        request,
        "saya.html",
        status=status,
        person=person,
        records=records,
        prefs=prefs,
        channels=CHANNELS,
        hours=HOURS,
        when=when,
        **values,
    )


@router.get("/saya")
async def own_page(request: Request, me: OwnPage) -> Response:
    """Own status and level, certificates, upcoming sessions, preferences and quiet hours."""
    return await _page(request, me, notice=request.query_params.get("ok"))


@router.post("/saya/preferensi")
async def change_preferences(request: Request, me: OwnPage) -> Response:
    """The first channel and the quiet hours (notifications checks them)."""
    form = await form_of(request)
    first = str(form.get("channel") or "")
    order = [first, *(c for c in CHANNELS if c != first)] if first in CHANNELS else None
    body: dict[str, Any] = {
        "quiet_start_hour": _hour(form.get("quiet_start_hour")),
        "quiet_end_hour": _hour(form.get("quiet_end_hour")),
    }
    if order:
        body["channel_order"] = order
    try:
        await state_of(request).api.send(
            "notifications",
            "PUT",
            "/me/preferences",
            token=me.token,
            language=me.language,
            json=body,
        )
    except Refused as exc:
        return await _page(request, me, status=422, error=exc.detail or "prefs.invalid")
    except SignInAgain:
        keep(request, Session())
        return link_over(request, reason="link.visit_over")
    return RedirectResponse("/saya?ok=1", status_code=303)


@router.get("/saya/sertifikat/{certificate_id}.pdf")
async def own_certificate_pdf(request: Request, me: OwnPage, certificate_id: str) -> Response:
    """The volunteer's own certificate as PDF, with their name and the verification QR."""
    try:
        cid = uuid.UUID(certificate_id)
    except ValueError:
        raise NotFound(404) from None
    api = state_of(request).api
    person, cert = await asyncio.gather(
        api.json("registry", "/me", token=me.token, language=me.language),
        api.json("training", f"/me/certificates/{cid}", token=me.token, language=me.language),
    )
    printed = PrintedCertificate(
        number=cert["number"],
        holder_name=person["full_name"],
        course_title=cert["course_title"],
        level=cert["level"],
        hours=int(cert["hours"]),
        session_title=cert["session_title"],
        start_date=date.fromisoformat(cert["start_date"]),
        end_date=date.fromisoformat(cert["end_date"]),
        issuer=cert["issuer"],
        issued_on=date.fromisoformat(cert["issued_on"]),
        valid_until=date.fromisoformat(cert["valid_until"]) if cert["valid_until"] else None,
        display_code=cert["display_code"],
        verify_url=verification_url(request, cert["verification_code"]),
        status="expired" if cert["status"] == "expired" else "valid",
    )
    return await pdf_response(
        [printed], filename=f"sertifikat-{cert['number'].replace('/', '-')}.pdf"
    )


@router.post("/saya/keluar")
async def leave(request: Request) -> Response:
    """End the visit (the token expires anyway within 15 minutes)."""
    keep(request, Session())
    return link_over(request, status=200, reason="link.left")


def _hour(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def when(value: str | None) -> str:
    """An ISO date or instant as `7 Juni 2022`."""
    if not value:
        return ""
    return indonesian_date(datetime.fromisoformat(value).date())
