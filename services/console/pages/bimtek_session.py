"""A session's page: what training holds about it, its participants and waitlists (names
from registry), its certificates, and the lifecycle actions training allows (open, start,
move, cancel). Enrolment, attendance, scores and completion have their own modules."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.client import Refused
from services.console.pages.bimtek_common import (
    field_errors,
    names_of,
    send,
    session_days,
    session_of,
    training,
)
from services.console.web import Operator, SignedIn, form_of, render

router = APIRouter()

CANCEL_REASONS = (
    "venue_unavailable",
    "trainer_unavailable",
    "too_few_participants",
    "disaster_or_emergency",
    "budget",
    "rescheduled",
    "other",
)
MOVE_FIELDS = ("start_date", "end_date", "venue_name", "venue_village_code")
NOTICES = frozenset({"bt.done", "bt.created", "at.saved", "sc.saved"})


def quota_of(enrolment: dict[str, Any]) -> str:
    """The quota whose queue a waitlist entry waits in, as training answers it
    (`quota_key`: an organisation, a region or the remainder); `""` when the session has no
    quotas (its one queue). The console never works it out itself: training's rule (the
    nomination, the most specific region, the remainder) is the only one."""
    return str(enrolment.get("quota_key") or "")


def waitlists(enrolments: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Waitlisted enrolments per quota, in queue order."""
    lists: dict[str, list[Any]] = {}
    waiting = [e for e in enrolments if e["status"] == "waitlisted"]
    for e in sorted(waiting, key=lambda e: e.get("waitlist_seq") or 0):
        lists.setdefault(quota_of(e), []).append(e)
    return lists


async def certificates_of(request: Request, op: Operator, session_id: str) -> list[dict[str, Any]]:
    """The session's certificates the operator may see (every status), by number: one call
    to training's list filtered by session."""
    found: list[dict[str, Any]] = await training(
        request, op, "/certificates", session_id=session_id
    )
    return sorted(found, key=lambda c: str(c["number"]))


async def session_page(
    request: Request,
    op: Operator,
    session_id: uuid.UUID | str,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """The session page (with `values`: a notice, warnings, errors, search results,
    enrolment outcomes)."""
    sid = uuid.UUID(str(session_id))
    session, enrolments = await asyncio.gather(
        session_of(request, op, sid), training(request, op, f"/sessions/{sid}/enrolments")
    )
    active = [e for e in enrolments if e["status"] in ("confirmed", "waitlisted")]
    found = values.get("found") or []
    outcomes = values.get("outcomes") or []
    ids = [e["volunteer_id"] for e in active]
    ids += [str(o["volunteer_id"]) for o in outcomes]
    names, certificates = await asyncio.gather(
        names_of(request, op, ids),
        certificates_of(request, op, str(sid))
        if session["status"] in ("completed", "in_progress")
        else asyncio.sleep(0, result=[]),
    )
    names.update({str(v["id"]): v["full_name"] for v in found})
    return render(
        request,
        "bimtek_detail.html",
        status=status,
        operator=op,
        s=session,
        days=session_days(session),
        confirmed=[e for e in active if e["status"] == "confirmed"],
        waitlists=waitlists(active),
        cancelled=sum(e["status"] == "cancelled" for e in enrolments),
        names=names,
        certificates=certificates,
        cancel_reasons=CANCEL_REASONS,
        **{"errors": {}, "warnings": [], "notice": None, "found": [], "outcomes": [], **values},
    )


@router.get("/bimtek/{session_id:uuid}")
async def detail(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """The session (another scope's: the not-found page)."""
    notice = request.query_params.get("ok")
    return await session_page(request, op, session_id, notice=notice if notice in NOTICES else None)


async def _act(
    request: Request, op: Operator, sid: uuid.UUID, method: str, path: str, body: Any = None
) -> Response:
    """One lifecycle call; a refusal shows the session page with training's reason."""
    try:
        answer = await send(request, op, method, path, body)
    except Refused as exc:
        errors = field_errors(exc.field_errors)
        errors.setdefault("", exc.detail)
        return await session_page(request, op, sid, status=exc.status, errors=errors)
    warnings = (answer or {}).get("warnings") if isinstance(answer, dict) else None
    if warnings:
        return await session_page(request, op, sid, warnings=warnings, notice="bt.done")
    return RedirectResponse(f"/bimtek/{sid}?ok=bt.done", status_code=303)


@router.post("/bimtek/{session_id:uuid}/buka")
async def open_(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Open for enrolment (training publishes the schedule)."""
    return await _act(request, op, session_id, "POST", f"/sessions/{session_id}/open")


@router.post("/bimtek/{session_id:uuid}/mulai")
async def start(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Start: attendance and scores are recorded from now on."""
    return await _act(request, op, session_id, "POST", f"/sessions/{session_id}/start")


@router.post("/bimtek/{session_id:uuid}/pindah")
async def move(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """New dates or venue (fields left empty stay as they are); participants are told."""
    form = await form_of(request)
    body = {k: v for k in MOVE_FIELDS if (v := str(form.get(k) or "").strip())}
    return await _act(request, op, session_id, "PATCH", f"/sessions/{session_id}", body)


@router.post("/bimtek/{session_id:uuid}/batal")
async def cancel(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Cancel with a reason code (and a note kept for operators)."""
    form = await form_of(request)
    body: dict[str, Any] = {"reason_code": str(form.get("reason_code") or "")}
    if note := str(form.get("note") or "").strip():
        body["note"] = note
    return await _act(request, op, session_id, "POST", f"/sessions/{session_id}/cancel", body)
