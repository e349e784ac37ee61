"""Bimtek sessions: the list (training's filters, paging), the month calendar and the form
that schedules a draft session. training decides every rule; the page shows its answers
(holiday warnings, refused fields next to their inputs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.console.catalogue import label
from services.console.client import Refused
from services.console.pages.bimtek_common import (
    field_errors,
    month_layout,
    parse_month,
    parse_quotas,
    parse_rows,
    send,
    sessions_by_day,
    shift_month,
    split_regions,
    training,
)
from services.console.pages.bimtek_session import session_page
from services.console.web import Operator, SignedIn, form_of, render, state_of

router = APIRouter()

PAGE = 25
STATUSES = ("draft", "open", "in_progress", "completed", "cancelled")
FORM_FIELDS = (
    "course_code",
    "title",
    "organiser_agency",
    "organiser_region_code",
    "venue_name",
    "venue_village_code",
    "start_date",
    "end_date",
    "capacity",
    "quotas",
    "eligible_regions",
    "speakers",
    "agenda",
)


def list_filters(values: Any) -> dict[str, str]:
    """The filters training's list takes (status, year), validated."""
    found: dict[str, str] = {}
    if (status := values.get("status")) in STATUSES:
        found["status"] = status
    year = str(values.get("year") or "")
    if year.isdigit() and 2000 <= int(year) <= 2100:
        found["year"] = year
    return found


def _offset(value: Any) -> int:
    try:
        return max(0, min(int(value or 0), 1_000_000))
    except (TypeError, ValueError):
        return 0


@router.get("/bimtek")
async def list_page(request: Request, op: SignedIn) -> Response:
    """Sessions in the operator's scope by start date, a page at a time."""
    filters = list_filters(request.query_params)
    offset = _offset(request.query_params.get("offset"))
    sessions: list[dict[str, Any]] = await training(request, op, "/sessions", **filters)
    return render(
        request,
        "bimtek_list.html",
        operator=op,
        sessions=sessions[offset : offset + PAGE],
        total=len(sessions),
        offset=offset,
        limit=PAGE,
        filters=filters,
        statuses=STATUSES,
    )


@router.get("/bimtek/kalender")
async def calendar_page(request: Request, op: SignedIn) -> Response:
    """One month as a table, each day naming the sessions held on it."""
    today = state_of(request).clock.today()
    year, month = parse_month(request.query_params.get("bulan"), today)
    found: list[dict[str, Any]] = await training(request, op, "/sessions", year=year)
    if month in (1, 12):  # a session may run into the next or from the previous year
        other = year - 1 if month == 1 else year + 1
        found += await training(request, op, "/sessions", year=other)
    live = [s for s in found if s["status"] != "cancelled"]
    return render(
        request,
        "bimtek_calendar.html",
        operator=op,
        year=year,
        month=month,
        weeks=month_layout(year, month),
        by_day=sessions_by_day(live, year, month),
        prev_month=shift_month(year, month, -1),
        next_month=shift_month(year, month, 1),
        today=today,
    )


async def _form(
    request: Request, op: Operator, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    courses = await training(request, op, "/courses")
    return render(
        request,
        "bimtek_new.html",
        status=status,
        operator=op,
        courses=courses,
        values=values,
        errors=errors,
    )


@router.get("/bimtek/baru")
async def new_page(request: Request, op: SignedIn) -> Response:
    """The empty form (the organiser's region filled with the operator's)."""
    region = "" if op.scope == "national" else op.scope
    values = {"organiser_region_code": op.scope, "eligible_regions": region, "capacity": "30"}
    return await _form(request, op, values, {}, 200)


def session_body(form: Any, op: Operator) -> tuple[dict[str, Any], dict[str, str]]:
    """training's create body from the form, and the lines the console could not read."""
    text = {name: str(form.get(name) or "").strip() for name in FORM_FIELDS}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        k: text[k]
        for k in (
            "course_code",
            "organiser_agency",
            "organiser_region_code",
            "venue_name",
            "venue_village_code",
            "start_date",
            "end_date",
            "capacity",
        )
    }
    if text["capacity"].isdigit():  # training takes a JSON number, never a string
        body["capacity"] = int(text["capacity"])
    if text["title"]:
        body["title"] = text["title"]
    quotas, bad = parse_quotas(text["quotas"])
    if bad:
        errors["quotas"] = str(bad)
    body["quotas"] = quotas
    body["eligible_regions"] = split_regions(text["eligible_regions"])
    speakers, bad = parse_rows(text["speakers"], 2)
    if bad:
        errors["speakers"] = str(bad)
    body["speakers"] = [{"name": n, "institution": i} for n, i in speakers]
    agenda, bad = parse_rows(text["agenda"], 4)
    if bad:
        errors["agenda"] = str(bad)
    body["agenda"] = [
        {"day": d, "time": tm or None, "topic": tp, "speaker": sp or None}
        for d, tm, tp, sp in agenda
    ]
    return body, errors


@router.post("/bimtek/baru")
async def create(request: Request, op: SignedIn) -> Response:
    """Schedule the draft at training; the session page shows its holiday warnings, a
    refusal shows the form again with each refused field marked."""
    form = await form_of(request)
    values = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    body, unreadable = session_body(form, op)
    if unreadable:
        errors = {k: label("bt.bad_line", op.language, line=v) for k, v in unreadable.items()}
        return await _form(request, op, values, errors, 422)
    try:
        created = await send(request, op, "POST", "/sessions", body)
    except Refused as exc:
        errors = field_errors(exc.field_errors) or {"": exc.detail}
        return await _form(request, op, values, errors, exc.status)
    return await session_page(
        request, op, created["id"], warnings=created.get("warnings") or [], notice="bt.created"
    )
