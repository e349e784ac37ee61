"""Pesan: a session's messages (notifications' ledger, paged by its cursor) and broadcasts —
compose, preview with the number of recipients notifications counts, then send."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.client import Refused
from services.console.pages.bimtek_common import session_of
from services.console.web import Operator, SignedIn, form_of, render, state_of

router = APIRouter()

PAGE = 50
CURSOR = re.compile(r"^[A-Za-z0-9_=-]{1,200}$")
STATUSES = ("candidate", "active", "inactive", "resigned", "revoked")
LEVELS = ("dasar", "lanjutan", "khusus")


@router.get("/bimtek/{session_id:uuid}/pesan")
async def session_messages(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """What notifications sent (or holds) about the session, newest first."""
    session = await session_of(request, op, session_id)
    params: dict[str, Any] = {"session_id": str(session_id), "limit": PAGE}
    after = request.query_params.get("setelah") or ""
    if CURSOR.match(after):
        params["after"] = after
    r = await state_of(request).api.send(
        "notifications",
        "GET",
        "/notifications",
        token=op.token,
        language=op.language,
        params=params,
    )
    return render(
        request,
        "pesan_sesi.html",
        operator=op,
        s=session,
        messages=r.json(),
        next_cursor=r.headers.get("x-next-cursor"),
    )


def draft_of(form: Any) -> dict[str, Any]:
    """notifications' broadcast body from the form (empty filters left out)."""
    body: dict[str, Any] = {
        "region_code": str(form.get("region_code") or "").strip(),
        "message": str(form.get("message") or "").strip(),
    }
    if (status := form.get("status")) in STATUSES:
        body["status"] = status
    if (level := form.get("training_level")) in LEVELS:
        body["training_level"] = level
    return body


async def _compose(
    request: Request,
    op: Operator,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    recipients: int | None = None,
    sent: int | None = None,
) -> Response:
    history = await state_of(request).api.json(
        "notifications", "/broadcasts", token=op.token, language=op.language, params={"limit": 10}
    )
    return render(
        request,
        "pesan_siaran.html",
        status=status,
        operator=op,
        values=values,
        errors=errors,
        recipients=recipients,
        sent=sent,
        history=history,
        statuses=STATUSES,
        levels=LEVELS,
    )


@router.get("/pesan/siaran")
async def compose(request: Request, op: SignedIn) -> Response:
    """The broadcast form, the operator's region filled in; recent broadcasts below."""
    sent = request.query_params.get("dikirim")
    values = {"region_code": op.scope}
    count = int(sent) if sent and sent.isdigit() else None
    return await _compose(request, op, values=values, errors={}, sent=count)


@router.post("/pesan/siaran")
async def preview(request: Request, op: SignedIn) -> Response:
    """How many people the broadcast would reach (notifications counts the segment); the
    send button comes with the count."""
    body = draft_of(await form_of(request))
    try:
        r = await state_of(request).api.send(
            "notifications",
            "POST",
            "/broadcasts/preview",
            token=op.token,
            language=op.language,
            json=body,
        )
    except Refused as exc:
        errors = exc.field_errors or {"": exc.detail}
        return await _compose(request, op, values=body, errors=errors, status=exc.status)
    count = int(r.json()["recipients"])
    return await _compose(request, op, values=body, errors={}, recipients=count)


@router.post("/pesan/siaran/kirim")
async def send_broadcast(request: Request, op: SignedIn) -> Response:
    """Send: notifications records it and queues one message per person."""
    body = draft_of(await form_of(request))
    try:
        r = await state_of(request).api.send(
            "notifications", "POST", "/broadcasts", token=op.token, language=op.language, json=body
        )
    except Refused as exc:
        errors = exc.field_errors or {"": exc.detail}
        return await _compose(request, op, values=body, errors=errors, status=exc.status)
    return RedirectResponse(f"/pesan/siaran?dikirim={int(r.json()['recipients'])}", 303)
