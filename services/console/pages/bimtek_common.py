"""What the Bimtek pages share: calls to training with the operator's token, participants'
names from registry, and the pure helpers that read the sheets' forms (tested alone)."""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from fastapi import Request

from services.console.client import ApiProblem, SignInAgain
from services.console.web import Operator, state_of

#: registry's limit of ids per holder-names call
NAMES_BATCH = 500
#: why a roster reads names (registry's closed list, written to its audit log)
NAMES_PURPOSE = "participant_list"
UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


async def training(request: Request, op: Operator, path: str, **params: Any) -> Any:
    """GET a training resource as JSON."""
    return await state_of(request).api.json(
        "training", path, token=op.token, language=op.language, params=params or None
    )


async def send(request: Request, op: Operator, method: str, path: str, body: Any = None) -> Any:
    """A change at training; its JSON answer."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    r = await state_of(request).api.send(
        "training", method, path, token=op.token, language=op.language, **kwargs
    )
    return r.json() if r.content else None


async def session_of(request: Request, op: Operator, session_id: uuid.UUID) -> dict[str, Any]:
    """The session (NotFound outside the operator's scope)."""
    found: dict[str, Any] = await training(request, op, f"/sessions/{session_id}")
    return found


async def names_of(request: Request, op: Operator, ids: Iterable[str]) -> dict[str, str]:
    """Participants' names from registry (training holds none), by volunteer id; a person
    registry will not show (erased, out of scope) is left out.

    One `POST /volunteers/holder-names` per 500 participants (purpose `participant_list`,
    each name given audited there), not one audited read per participant: registry writes
    one audit transaction per call, and SQLite serialises them. If registry refuses or
    fails, the roster shows without names (as a person it will not show), except a 401.
    """
    api = state_of(request).api
    unique = list(dict.fromkeys(ids))
    names: dict[str, str] = {}
    for start in range(0, len(unique), NAMES_BATCH):
        body = {"volunteer_ids": unique[start : start + NAMES_BATCH], "purpose": NAMES_PURPOSE}
        try:
            answer = await api.send(
                "registry",
                "POST",
                "/volunteers/holder-names",
                token=op.token,
                language=op.language,
                json=body,
            )
        except SignInAgain:
            raise
        except ApiProblem:
            continue
        names.update({str(n["volunteer_id"]): str(n["full_name"]) for n in answer.json()["names"]})
    return {vid: name for vid, name in names.items() if name}


def session_days(session: Mapping[str, Any]) -> list[date]:
    """Every calendar day of the session, first to last."""
    start, end = date.fromisoformat(session["start_date"]), date.fromisoformat(session["end_date"])
    return [date.fromordinal(d) for d in range(start.toordinal(), end.toordinal() + 1)]


def month_layout(year: int, month: int) -> list[list[date | None]]:
    """The month as weeks of seven days, Monday first; days of other months are None."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[d if d.month == month else None for d in week] for week in weeks]


def sessions_by_day(
    sessions: Iterable[Mapping[str, Any]], year: int, month: int
) -> dict[date, list[Mapping[str, Any]]]:
    """The sessions held on each day of the month (a session spans its start to its end)."""
    days: dict[date, list[Mapping[str, Any]]] = {}
    for s in sessions:
        for day in session_days(s):
            if (day.year, day.month) == (year, month):
                days.setdefault(day, []).append(s)
    return days


def parse_month(value: str | None, today: date) -> tuple[int, int]:
    """`YYYY-MM` from the URL, else today's month."""
    if value and re.fullmatch(r"(20\d{2})-(0[1-9]|1[0-2])", value):
        return int(value[:4]), int(value[5:])
    return today.year, today.month


def shift_month(year: int, month: int, by: int) -> str:
    """`YYYY-MM` of the month `by` months away."""
    index = year * 12 + (month - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_score(value: str) -> float | None:
    """A score as typed (`70`, `70,5`, `70.5`); empty is None; anything else ValueError."""
    text = value.strip().replace(",", ".")
    if not text:
        return None
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", text):
        raise ValueError(value)
    return float(text)


def parse_score_sheet(
    form: Mapping[str, Any], enrolment_ids: Iterable[str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """training's score sheet from the form's `pre-<id>`/`post-<id>` inputs (a row with both
    empty is left out), and the inputs that are not numbers (by input name)."""
    rows: list[dict[str, Any]] = []
    bad: dict[str, str] = {}
    for eid in enrolment_ids:
        row: dict[str, Any] = {"enrolment_id": eid}
        for kind in ("pre", "post"):
            name = f"{kind}-{eid}"
            try:
                score = parse_score(str(form.get(name) or ""))
            except ValueError:
                bad[name] = "sc.not_a_number"
                continue
            if score is not None:
                row[f"{kind}_score"] = score
        if len(row) > 1:
            rows.append(row)
    return rows, bad


def parse_ids(text: str) -> tuple[list[str], list[str]]:
    """Volunteer ids pasted one per line or separated by commas/spaces: the ids (in order,
    once each) and the pieces that are not ids."""
    ids: list[str] = []
    bad: list[str] = []
    for piece in re.split(r"[\s,;]+", text.strip()):
        if not piece:
            continue
        if UUID_TEXT.fullmatch(piece):
            ids.append(str(uuid.UUID(piece)))
        else:
            bad.append(piece[:40])
    return list(dict.fromkeys(ids)), bad


def parse_quotas(text: str) -> tuple[dict[str, int], int | None]:
    """Quotas typed one per line, `key=seats` (`sisa` means the remainder); the first line
    that cannot be read (1-based), if any."""
    quotas: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, seats = line.partition("=")
        key = key.strip()
        if not sep or not key or not seats.strip().isdigit():
            return quotas, number
        quotas["remainder" if key.lower() == "sisa" else key] = int(seats.strip())
    return quotas, None


def parse_rows(text: str, width: int) -> tuple[list[list[str]], int | None]:
    """Lines of `a | b | …` cells (at most `width`, padded with empty cells); the first line
    with too many cells (1-based), if any."""
    rows: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > width:
            return rows, number
        rows.append(cells + [""] * (width - len(cells)))
    return rows, None


def split_regions(text: str) -> list[str]:
    """Region codes separated by commas or spaces."""
    return [p for p in re.split(r"[\s,;]+", text.strip()) if p]


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """A service's refused fields by the form's input: `speakers.0.name` → `speakers`."""
    found: dict[str, str] = {}
    for name, message in errors.items():
        found.setdefault(name.split(".")[0], message)
    return found
