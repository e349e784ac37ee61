"""A person's page (masked NIK, status history, transfers, Bimtek enrolments, certificates,
messages),
status changes and moves. The person is named by registry's opaque id only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.certificate_pdf import date_span
from services.console.client import ApiProblem, NotFound, Refused, Service, Unavailable
from services.console.web import Operator, SignedIn, form_of, render, state_of

router = APIRouter()

STATUSES = ("candidate", "active", "inactive", "resigned", "revoked", "deceased")


async def _optional(
    request: Request, op: Operator, service: Service, path: str, **params: Any
) -> Any:
    """A part of the page another service holds; None when it cannot be read (the rest shows)."""
    try:
        return await state_of(request).api.json(
            service, path, token=op.token, language=op.language, params=params
        )
    except ApiProblem:
        return None


async def _person(request: Request, op: Operator, volunteer_id: uuid.UUID) -> dict[str, Any]:
    person: dict[str, Any] = await state_of(request).api.json(
        "registry", f"/volunteers/{volunteer_id}", token=op.token, language=op.language
    )
    return person


async def _page(
    request: Request, op: Operator, volunteer_id: uuid.UUID, *, status: int = 200, **values: Any
) -> Response:
    person = await _person(request, op, volunteer_id)
    history, transfers, enrolments, certificates, messages = await asyncio.gather(
        _optional(request, op, "registry", f"/volunteers/{volunteer_id}/history"),
        _optional(request, op, "registry", "/transfers", limit=1000),
        # any operator role, viewers too (training's /records is for writers only)
        _optional(request, op, "training", f"/volunteers/{volunteer_id}/enrolments"),
        _optional(request, op, "training", "/certificates", volunteer_id=str(volunteer_id)),
        _optional(request, op, "notifications", "/notifications", volunteer_id=str(volunteer_id)),
    )
    own_transfers = [t for t in transfers or [] if t.get("volunteer_id") == str(volunteer_id)]
    return render(
        request,
        "psm_detail.html",
        status=status,
        operator=op,
        person=person,
        history=history or [],
        transfers=own_transfers,
        enrolments=_dated(enrolments, op.language),
        certificates=certificates,
        messages=messages,
        statuses=STATUSES,
        **values,
    )


@router.get("/psm/{volunteer_id}")
async def person_page(request: Request, op: SignedIn, volunteer_id: str) -> Response:
    """One person, in the operator's region (another region's person: not found)."""
    return await _page(request, op, _id(volunteer_id), notice=request.query_params.get("ok"))


@router.post("/psm/{volunteer_id}/status")
async def change_status(request: Request, op: SignedIn, volunteer_id: str) -> Response:
    """A status change (registry checks the lifecycle and the region)."""
    vid = _id(volunteer_id)
    form = await form_of(request)
    body: dict[str, Any] = {"status": str(form.get("status") or "")}
    if reason := str(form.get("reason") or "").strip():
        body["reason"] = reason
    return await _change(request, op, vid, f"/volunteers/{vid}/status", body, "status")


@router.post("/psm/{volunteer_id}/pindah")
async def transfer(request: Request, op: SignedIn, volunteer_id: str) -> Response:
    """A move to another village of the operator's region."""
    vid = _id(volunteer_id)
    form = await form_of(request)
    body = {"village_code": str(form.get("village_code") or "").strip()}
    return await _change(request, op, vid, f"/volunteers/{vid}/transfers", body, "transfer")


@router.post("/psm/{volunteer_id}/tautan")
async def send_page_link(request: Request, op: SignedIn, volunteer_id: str) -> Response:
    """Have registry send the person a one-time link to their own page (volunteer.py)."""
    vid = _id(volunteer_id)
    try:
        await state_of(request).api.send(
            "registry",
            "POST",
            f"/volunteers/{vid}/access-link",
            token=op.token,
            language=op.language,
        )
    except (Refused, Unavailable):
        return await _page(request, op, vid, status=503, errors={"link": {"": "not sent"}})
    return RedirectResponse(f"/psm/{vid}?ok=tautan", status_code=303)


async def _change(
    request: Request, op: Operator, vid: uuid.UUID, path: str, body: dict[str, Any], form: str
) -> Response:
    try:
        await state_of(request).api.send(
            "registry", "POST", path, token=op.token, language=op.language, json=body
        )
    except Refused as exc:
        errors = exc.field_errors or {"": exc.detail}
        return await _page(request, op, vid, status=422, errors={form: errors})
    return RedirectResponse(f"/psm/{vid}?ok=1", status_code=303)


def _dated(enrolments: list[dict[str, Any]] | None, language: str) -> list[dict[str, Any]] | None:
    """Training's enrolments with their dates as `30 November s.d. 1 Desember 2022` (None:
    training could not be read, and the page says so)."""
    if enrolments is None:
        return None
    return [
        {
            **e,
            "dates": date_span(
                date.fromisoformat(e["start_date"]), date.fromisoformat(e["end_date"]), language
            ),
        }
        for e in enrolments
    ]


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(404) from None
