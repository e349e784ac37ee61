"""Enrolling in a session: find candidates by name (registry's list, the name in the form
body, never in a URL) and enrol the picked, or enrol a pasted list of PSM ids. training
decides each outcome (confirmed, waitlisted, rejected with its reasons)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from services.console.catalogue import label
from services.console.client import Refused
from services.console.pages.bimtek_common import parse_ids, send
from services.console.pages.bimtek_session import session_page
from services.console.web import SignedIn, form_of, state_of

router = APIRouter()

FOUND = 25


@router.post("/bimtek/{session_id:uuid}/cari")
async def search(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Candidates whose name matches, in the operator's scope (registry decides)."""
    form = await form_of(request)
    name = str(form.get("name") or "").strip()
    try:
        page: dict[str, Any] = await state_of(request).api.json(
            "registry",
            "/volunteers",
            token=op.token,
            language=op.language,
            params={"name": name, "limit": FOUND},
        )
    except Refused as exc:
        errors = exc.field_errors or {"name": exc.detail}
        return await session_page(
            request, op, session_id, status=422, errors={"name": next(iter(errors.values()))}
        )
    return await session_page(request, op, session_id, found=page["items"], search=name)


@router.post("/bimtek/{session_id:uuid}/daftar")
async def enrol(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Enrol the picked and the pasted ids, in that order; one outcome each."""
    form = await form_of(request)
    picked = [str(v) for v in form.getlist("volunteer_id")]
    pasted, bad = parse_ids(str(form.get("ids") or ""))
    ids, _ = parse_ids(" ".join(picked))
    ids = list(dict.fromkeys(ids + pasted))
    if bad:
        message = label("en.bad_ids", op.language, ids=", ".join(bad[:5]))
        return await session_page(request, op, session_id, status=422, errors={"ids": message})
    if not ids:
        message = label("en.nothing", op.language)
        return await session_page(request, op, session_id, status=422, errors={"ids": message})
    body: dict[str, Any] = {"volunteer_ids": ids}
    if quota := str(form.get("quota") or "").strip():
        body["quota"] = quota
    try:
        outcomes = await send(request, op, "POST", f"/sessions/{session_id}/enrolments/bulk", body)
    except Refused as exc:
        fields = exc.field_errors
        message = fields.get("quota") or exc.detail
        key = "quota" if quota else "ids"
        return await session_page(request, op, session_id, status=exc.status, errors={key: message})
    return await session_page(request, op, session_id, outcomes=outcomes)
