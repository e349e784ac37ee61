"""A session's results: the attendance sheet of a day (one checkbox per participant, saved
in one POST), the pre/post score sheet, the completion preview (who would pass and why),
completion (forced with a reason before the last day, as training requires) and re-opening
within training's window."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.catalogue import label
from services.console.client import NotFound, Refused
from services.console.pages.bimtek_common import (
    names_of,
    parse_score_sheet,
    send,
    session_days,
    session_of,
    training,
)
from services.console.web import Operator, SignedIn, form_of, render

router = APIRouter()

FORCE_REASONS = ("ended_early", "records_complete", "other")
REOPEN_REASONS = ("attendance_wrong", "scores_wrong", "completed_too_early", "other")


async def _participants(
    request: Request, op: Operator, sid: uuid.UUID
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    session = await session_of(request, op, sid)
    enrolments = await training(request, op, f"/sessions/{sid}/enrolments")
    confirmed = [e for e in enrolments if e["status"] == "confirmed"]
    names = await names_of(request, op, [e["volunteer_id"] for e in confirmed])
    confirmed.sort(key=lambda e: (names.get(e["volunteer_id"], "~"), e["volunteer_id"]))
    return session, confirmed, names


def _day(session: dict[str, Any], value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise NotFound(404) from None
    if day not in session_days(session):
        raise NotFound(404)
    return day


#: training's statuses that count as attending the day (a ticked box)
ATTENDED = frozenset({"present", "late", "left_early"})


async def _recorded(
    request: Request, op: Operator, sid: uuid.UUID, day: date
) -> dict[str, str | None]:
    """What training recorded for each participant on the day (None: nothing yet)."""
    sheet = await training(request, op, f"/sessions/{sid}/attendance/{day}")
    return {str(m["enrolment_id"]): m["status"] for m in sheet["marks"]}


def attendance_marks(
    enrolment_ids: list[str], ticked: set[str], recorded: dict[str, str | None]
) -> list[dict[str, str]]:
    """The sheet as training's marks: a ticked box is present, an unticked one absent; a
    finer status training holds (late, left early; excused) is kept while the box still
    says the same (attended or not), so saving the sheet never flattens it."""
    marks = []
    for eid in enrolment_ids:
        before = recorded.get(eid)
        if eid in ticked:
            status = before if before in ATTENDED else "present"
        else:
            status = before if before in ("absent", "excused") else "absent"
        marks.append({"enrolment_id": eid, "status": str(status)})
    return marks


def _sheet(
    request: Request,
    op: Operator,
    session: dict[str, Any],
    day: date,
    rows: list[dict[str, Any]],
    names: dict[str, str],
    recorded: dict[str, str | None],
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """The day's sheet: a box ticked for whoever training holds as attending; who has no
    mark yet is unticked and marked "not recorded"."""
    present = {eid for eid, status in recorded.items() if status in ATTENDED}
    return render(
        request,
        "bimtek_attendance.html",
        status=status,
        operator=op,
        s=session,
        day=day,
        rows=rows,
        names=names,
        present=present,
        recorded=recorded,
        unrecorded=sum(recorded.get(e["id"]) is None for e in rows),
        **{"errors": {}, "notice": None, **values},
    )


@router.get("/bimtek/{session_id:uuid}/hadir/{tanggal}")
async def attendance_page(
    request: Request, op: SignedIn, session_id: uuid.UUID, tanggal: str
) -> Response:
    """The day's sheet as training recorded it. Who has no mark yet starts unticked (and
    is marked so): a ticked box the operator did not tick would record someone present who
    may not have come, and attendance decides who gets a certificate; unticked also
    matches how completion counts a missing mark (not attended)."""
    session, confirmed, names = await _participants(request, op, session_id)
    day = _day(session, tanggal)
    recorded = await _recorded(request, op, session_id, day)
    return _sheet(request, op, session, day, confirmed, names, recorded)


@router.post("/bimtek/{session_id:uuid}/hadir/{tanggal}")
async def record_attendance(
    request: Request, op: SignedIn, session_id: uuid.UUID, tanggal: str
) -> Response:
    """Every participant's mark of the day in one call: ticked attended, unticked absent
    (a finer status training holds is kept, see `attendance_marks`); the sheet then shows
    what training holds."""
    form = await form_of(request)
    session, confirmed, names = await _participants(request, op, session_id)
    day = _day(session, tanggal)
    ticked = {str(v) for v in form.getlist("hadir")}
    recorded = await _recorded(request, op, session_id, day)
    marks = attendance_marks([e["id"] for e in confirmed], ticked, recorded)
    if marks:
        try:
            await send(
                request, op, "PUT", f"/sessions/{session_id}/attendance/{day}", {"marks": marks}
            )
        except Refused as exc:
            # what the operator ticked stays on the sheet, with training's reason
            shown: dict[str, str | None] = {m["enrolment_id"]: m["status"] for m in marks}
            errors = {"": exc.detail}
            return _sheet(
                request, op, session, day, confirmed, names, shown, errors=errors, status=exc.status
            )
    recorded = await _recorded(request, op, session_id, day)
    return _sheet(request, op, session, day, confirmed, names, recorded, notice="at.saved")


@router.get("/bimtek/{session_id:uuid}/nilai")
async def scores_page(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """One row per participant, pre- and post-test as training holds them."""
    session, confirmed, names = await _participants(request, op, session_id)
    values = {
        f"{kind}-{e['id']}": _shown(e.get(f"{kind}_score"))
        for e in confirmed
        for kind in ("pre", "post")
    }
    notice = "sc.saved" if request.query_params.get("ok") else None
    return render(
        request,
        "bimtek_scores.html",
        operator=op,
        s=session,
        rows=confirmed,
        names=names,
        values=values,
        errors={},
        notice=notice,
    )


def _shown(score: Any) -> str:
    if score is None:
        return ""
    return f"{float(score):g}"


@router.post("/bimtek/{session_id:uuid}/nilai")
async def record_scores(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """The whole sheet in one call; inputs that are not numbers (or that training refuses)
    are marked on their row."""
    form = await form_of(request)
    session, confirmed, names = await _participants(request, op, session_id)
    ids = [e["id"] for e in confirmed]
    rows, bad = parse_score_sheet(form, ids)
    errors = {name: label(key, op.language) for name, key in bad.items()}
    if not errors and rows:
        try:
            await send(request, op, "PUT", f"/sessions/{session_id}/scores", {"scores": rows})
        except Refused as exc:
            errors = _row_errors(exc, rows) or {"": exc.detail}
    if not errors:
        return RedirectResponse(f"/bimtek/{session_id}/nilai?ok=1", status_code=303)
    values = {f"{k}-{e}": str(form.get(f"{k}-{e}") or "") for e in ids for k in ("pre", "post")}
    return render(
        request,
        "bimtek_scores.html",
        status=422,
        operator=op,
        s=session,
        rows=confirmed,
        names=names,
        values=values,
        errors=errors,
        notice=None,
    )


def _row_errors(exc: Refused, rows: list[dict[str, Any]]) -> dict[str, str]:
    """training's `scores.<i>.post_score` → the sheet's `post-<enrolment id>` input."""
    found: dict[str, str] = {}
    for name, message in exc.field_errors.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "scores" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows):
                kind = parts[2].removesuffix("_score")
                found[f"{kind}-{rows[index]['enrolment_id']}"] = message
    return found


@router.get("/bimtek/{session_id:uuid}/kelulusan")
async def completion_page(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """training's preview: who would pass and every rule the others miss; the completion
    form (with force and a reason when training says it is needed); re-opening."""
    return await _completion(request, op, session_id, errors={}, status=200)


async def _completion(
    request: Request, op: Operator, sid: uuid.UUID, *, errors: dict[str, str], status: int
) -> Response:
    session = await session_of(request, op, sid)
    preview = None
    if session["status"] in ("in_progress", "completed"):
        preview = await training(request, op, f"/sessions/{sid}/completion-preview")
    ids = [r["volunteer_id"] for r in (preview or {}).get("results", [])]
    names = await names_of(request, op, ids)
    if preview:
        preview["results"].sort(key=lambda r: names.get(r["volunteer_id"], "~"))
    return render(
        request,
        "bimtek_completion.html",
        status=status,
        operator=op,
        s=session,
        preview=preview,
        names=names,
        force_reasons=FORCE_REASONS,
        reopen_reasons=REOPEN_REASONS,
        errors=errors,
    )


@router.post("/bimtek/{session_id:uuid}/selesai")
async def complete(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Complete at training (certificates issued for the passed); the session page shows
    them."""
    form = await form_of(request)
    body: dict[str, Any] = {}
    if form.get("force") == "1":
        body = {"force": True, "reason_code": str(form.get("reason_code") or "") or None}
    try:
        await send(request, op, "POST", f"/sessions/{session_id}/complete", body)
    except Refused as exc:
        errors = exc.field_errors or {}
        errors[""] = exc.detail
        return await _completion(request, op, session_id, errors=errors, status=exc.status)
    return RedirectResponse(f"/bimtek/{session_id}?ok=bt.done", status_code=303)


@router.post("/bimtek/{session_id:uuid}/buka-kembali")
async def reopen(request: Request, op: SignedIn, session_id: uuid.UUID) -> Response:
    """Back in progress for correction, within training's window (else its reason)."""
    form = await form_of(request)
    body = {"reason_code": str(form.get("reason_code") or "")}
    try:
        await send(request, op, "POST", f"/sessions/{session_id}/reopen", body)
    except Refused as exc:
        errors = {"reopen": next(iter(exc.field_errors.values()), exc.detail)}
        return await _completion(request, op, session_id, errors=errors, status=exc.status)
    return RedirectResponse(f"/bimtek/{session_id}/kelulusan", status_code=303)
