"""Certificates printed as PDF with the holder's name and a QR code to the public
verification page: one (`/sertifikat/{id}.pdf`) or all of a session's
(`/bimtek/{session_id}/sertifikat.pdf`), one A4-landscape page each.

Training holds no names: they are read from registry at print time
(`POST /volunteers/holder-names`, purpose `certificate_print`, audited there) with the
operator's token, so only names in the operator's region are printed, and the console
keeps none. A certificate whose name is not given (erased, or its holder lives outside
the operator's region) is not printed: a page says so, never a PDF with a blank name.

Revoked and superseded certificates are refused, not printed with a mark: a revoked
certificate proves nothing any more, so reading its holder's name for it would be
processing personal data without a purpose; a superseded one points to its replacement.
An expired certificate prints, marked as such (it still records a pass that happened).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from services.console.certificate_pdf import PrintedCertificate, build_pdf
from services.console.client import NotFound
from services.console.pages.public import verification
from services.console.web import Operator, SignedIn, render, state_of

router = APIRouter()

NAMES_BATCH = 500  # registry's limit per holder-names call


@router.get("/sertifikat/{certificate_id}.pdf")
async def certificate_pdf(request: Request, op: SignedIn, certificate_id: str) -> Response:
    """One certificate (another region's: the not-found page, as training answers 404)."""
    cid = _uuid(certificate_id)
    cert = await _training(request, op, f"/certificates/{cid}")
    if cert["status"] != "valid":
        return refused(
            request, op, cert["status"], number=cert["number"], replacement=cert["superseded_by"]
        )
    course, session = await _details(request, op, cert)
    names = await holder_names(request, op, [cert["volunteer_id"]])
    if cert["volunteer_id"] not in names:
        return refused(request, op, "missing", missing=[cert["number"]])
    printed = printed_certificate(request, cert, names[cert["volunteer_id"]], course, session)
    return await pdf_response([printed], filename=f"sertifikat-{_safe(cert['number'])}.pdf")


@router.get("/bimtek/{session_id}/sertifikat.pdf")
async def session_pdf(
    request: Request, op: SignedIn, session_id: str, sebagian: str = ""
) -> Response:
    """Every valid certificate of a session, by number; with names missing, a page lists
    those certificates first (`?sebagian=1` prints the others)."""
    sid = _uuid(session_id)
    session, certificates = await asyncio.gather(
        _training(request, op, f"/sessions/{sid}"),
        certificates_of_session(request, op, str(sid)),
    )
    if not certificates:
        return refused(request, op, "none", session_id=sid)
    course = await _training(request, op, f"/courses/{session['course_code']}")
    names = await holder_names(request, op, [c["volunteer_id"] for c in certificates])
    named = [c for c in certificates if c["volunteer_id"] in names]
    missing = [c["number"] for c in certificates if c["volunteer_id"] not in names]
    if missing and not (sebagian == "1" and named):
        rest = f"/bimtek/{sid}/sertifikat.pdf?sebagian=1" if named else None
        return refused(
            request, op, "missing", missing=missing, rest=len(named), rest_url=rest, session_id=sid
        )
    printed = [
        printed_certificate(request, c, names[c["volunteer_id"]], course, session) for c in named
    ]
    return await pdf_response(printed, filename=f"sertifikat-sesi-{sid}.pdf")


async def certificates_of_session(
    request: Request, op: Operator, session_id: str
) -> list[dict[str, Any]]:
    """The session's valid certificates the operator may see, by number: one call to
    training's list filtered by session (their holders in the operator's scope)."""
    found: list[dict[str, Any]] = await _training(
        request, op, "/certificates", params={"session_id": session_id}
    )
    valid = [c for c in found if c["status"] == "valid"]
    return sorted(valid, key=lambda c: str(c["number"]))


async def holder_names(request: Request, op: Operator, ids: list[str]) -> dict[str, str]:
    """The holders' names registry gives this operator (in their region, not erased)."""
    names: dict[str, str] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), NAMES_BATCH):
        body = {
            "volunteer_ids": unique[start : start + NAMES_BATCH],
            "purpose": "certificate_print",
        }
        answer = await state_of(request).api.send(
            "registry",
            "POST",
            "/volunteers/holder-names",
            token=op.token,
            language=op.language,
            json=body,
        )
        names.update({n["volunteer_id"]: n["full_name"] for n in answer.json()["names"]})
    return names


def printed_certificate(
    request: Request,
    cert: dict[str, Any],
    name: str,
    course: dict[str, Any],
    session: dict[str, Any],
) -> PrintedCertificate:
    """One page's content: training's certificate, its course and session, and the name."""
    state = state_of(request)
    valid_until = date.fromisoformat(cert["valid_until"]) if cert["valid_until"] else None
    code = str(cert["verification_code"])
    expired = valid_until is not None and valid_until < state.clock.today()
    return PrintedCertificate(
        number=cert["number"],
        holder_name=name,
        course_title=course["title"],
        level=cert["level"],
        hours=int(course["hours"]),
        session_title=session["title"],
        start_date=date.fromisoformat(session["start_date"]),
        end_date=date.fromisoformat(session["end_date"]),
        issuer=cert["issuer"],
        issued_on=datetime.fromisoformat(cert["issued_at"]).date(),
        valid_until=valid_until,
        display_code=f"{code[:5]}-{code[5:]}",
        verify_url=verification_url(request, code),
        status="expired" if expired else "valid",
    )


def verification_url(request: Request, code: str) -> str:
    """Where the QR code leads: the console's public page, at its public address."""
    base = state_of(request).settings.public_base_url.rstrip("/")
    return f"{base}/verifikasi/{code}"


async def pdf_response(certificates: list[PrintedCertificate], *, filename: str) -> Response:
    """The PDF as a download, never cached (it carries names); built off the event loop."""
    data = await run_in_threadpool(build_pdf, certificates)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def refused(request: Request, op: Operator, reason: str, **values: Any) -> Response:
    """Why nothing (or not everything) was printed, in the page's language (409)."""
    defaults: dict[str, Any] = {
        "number": "",
        "replacement": None,
        "missing": [],
        "session_id": None,
    }
    return render(
        request,
        "sertifikat_tidak_dicetak.html",
        status=409,
        operator=op,
        reason=reason,
        **{**defaults, **values},
    )


async def _details(
    request: Request, op: Operator, cert: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The course and session a certificate names. An operator of the holder's region may
    not see a session organised elsewhere; the public verification then gives its title
    and dates (the same facts anyone holding the code may read)."""
    course = await _training(request, op, f"/courses/{cert['course_code']}")
    try:
        session = await _training(request, op, f"/sessions/{cert['session_id']}")
    except NotFound:
        session = (await verification(request, str(cert["verification_code"])))["session"]
    return course, session


async def _training(request: Request, op: Operator, path: str, **kwargs: Any) -> Any:
    return await state_of(request).api.json(
        "training", path, token=op.token, language=op.language, **kwargs
    )


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(404) from None


def _safe(number: str) -> str:
    """A certificate number as a file name (`BIMTEK-DASAR/32.76/2022/000001` →
    `BIMTEK-DASAR-32.76-2022-000001`)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", number).strip("-")
