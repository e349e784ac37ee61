"""Public pages (no sign-in): certificate verification, what a printed certificate's QR
code opens. It shows only what a verifier needs (training's public verification answer:
status, number, course, dates, issuer, a masked holder reference), never a name or NIK.

Training throttles its verification per client address; the console passes the visitor's
address on (`X-Forwarded-For`), so going through the console is no way around the limit
(training honours it when it trusts the console's address: uvicorn `--proxy-headers`,
`FORWARDED_ALLOW_IPS`; otherwise every visitor shares the console's one budget).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.certificate_pdf import date_span, indonesian_date
from services.console.client import NotFound, Refused
from services.console.web import language, render, state_of

router = APIRouter()

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{0,39}")


def clean_code(typed: str) -> str | None:
    """The code as typed (case, spaces and hyphens as a person writes it) in the form a URL
    carries, or None when it cannot be a code."""
    typed = typed.strip()
    if not CODE.fullmatch(typed):
        return None
    return "".join(ch for ch in typed.upper() if ch.isalnum()) or None


async def verification(request: Request, code: str) -> dict[str, Any]:
    """Training's public verification of `code`, on behalf of the visitor's address."""
    headers = {"X-Forwarded-For": request.client.host} if request.client else {}
    found: dict[str, Any] = await state_of(request).api.json(
        "training",
        f"/certificates/verify/{quote(code, safe='')}",
        token=None,
        language=language(request),
        headers=headers,
    )
    return found


@router.get("/verifikasi")
async def verify_form(request: Request, kode: str | None = None) -> Response:
    """The form to type a code; a typed code goes to its page."""
    if kode is None:
        return render(request, "verifikasi.html")
    code = clean_code(kode)
    if code is None:
        return render(request, "verifikasi.html", status=422, typed=kode, bad=True)
    return RedirectResponse(f"/verifikasi/{code}", status_code=303)


@router.get("/verifikasi/{code}")
async def verify_page(request: Request, code: str) -> Response:
    """A certificate as a verifier sees it; an unknown code is a 'not found' page (404)."""
    cleaned = clean_code(code)
    if cleaned is None:
        return not_found(request)
    try:
        found = await verification(request, cleaned)
    except NotFound:
        return not_found(request)
    except Refused as exc:
        if exc.status != 429:
            return not_found(request)
        response = render(request, "verifikasi.html", status=429, throttled=True)
        response.headers["Retry-After"] = "60"
        return response
    lang = language(request)
    return render(
        request,
        "verifikasi_hasil.html",
        cert=_shown(found),
        day=lambda d: indonesian_date(d, lang),
        span=lambda a, b: date_span(a, b, lang),
    )


def not_found(request: Request) -> Response:
    """The page an unknown code gets."""
    return render(request, "verifikasi_tidak_ditemukan.html", status=404)


def _shown(found: dict[str, Any]) -> dict[str, Any]:
    """Training's answer, with dates as dates (the template formats them)."""
    session = found["session"]
    return {
        **found,
        "start_date": date.fromisoformat(session["start_date"]),
        "end_date": date.fromisoformat(session["end_date"]),
        "issued_on": datetime.fromisoformat(found["issued_at"]).date(),
        "valid_until": date.fromisoformat(found["valid_until"]) if found["valid_until"] else None,
    }
