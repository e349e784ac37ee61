"""Dasbor: PSM per region by status and level (registry's counts), Bimtek figures
(training's reports) and, for national admins, platform health (the services' metrics).

Every call runs at once. The counts and the report are the operator's own (their token,
their region) and read on every view; platform health is the same for every national
admin and holds no personal data, so each console process keeps each service's scrape for
`HEALTH_TTL_S` seconds instead of parsing three `/metrics` pages on every view.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client.parser import text_string_to_metric_families

from services.console.catalogue import label
from services.console.charts import bars, stacked_bars
from services.console.client import ApiProblem, Service
from services.console.web import Operator, SignedIn, render, state_of

router = APIRouter()

STATUSES = ("candidate", "active", "inactive", "resigned", "revoked", "deceased")
LEVELS = ("dasar", "lanjutan", "khusus")
SERVICES: tuple[Service, ...] = ("registry", "training", "notifications")
#: how long one console process reuses a service's platform-health scrape
HEALTH_TTL_S = 5.0


def grouping(scope: str) -> tuple[str, str | None]:
    """How to group counts for a scope: provinces nationally, then one level down."""
    if scope == "national":
        return "province", None
    if len(scope) == 2:
        return "regency", scope
    return "district", scope


@dataclass
class Table:
    """Rows of region × columns, with region names."""

    columns: list[str]
    rows: list[tuple[str, str, list[int]]]

    @property
    def names(self) -> list[str]:
        """Each row's label (name, else code)."""
        return [name or code for code, name, _ in self.rows]


async def _counts(request: Request, op: Operator, **params: str) -> list[dict[str, Any]]:
    by, region = grouping(op.scope)
    query = {"by": by, **params, **({"region": region} if region else {})}
    result: list[dict[str, Any]] = await state_of(request).api.json(
        "registry", "/volunteers/counts", token=op.token, language=op.language, params=query
    )
    return result


def _table(columns: list[str], answers: list[list[dict[str, Any]]]) -> Table:
    names: dict[str, str] = {}
    cells: dict[str, list[int]] = {}
    for i, answer in enumerate(answers):
        for row in answer:
            names[row["code"]] = row.get("name") or row["code"]
            cells.setdefault(row["code"], [0] * len(columns))[i] = int(row["count"])
    rows = [(code, names[code], cells[code]) for code in sorted(cells)]
    return Table(columns=columns, rows=rows)


async def _training(request: Request, op: Operator, year: int) -> dict[str, Any] | None:
    code = op.scope if op.scope == "national" or len(op.scope) <= 5 else op.scope[:5]
    try:
        report: dict[str, Any] = await state_of(request).api.json(
            "training",
            f"/reports/regions/{code}",
            token=op.token,
            language=op.language,
            params={"year": year},
        )
        return report
    except ApiProblem:
        return None  # training down or the year out of range: the rest of the page shows


async def _health(request: Request, service: Service) -> dict[str, float] | None:
    """A service's outbox, dead letters and consumer lag, scraped at most every `HEALTH_TTL_S` seconds per
    console process (an answer within that time is reused, a failed scrape too)."""
    cache: dict[Service, tuple[float, dict[str, float] | None]] | None = getattr(
        request.app.state, "dasbor_health", None
    )
    if cache is None:
        cache = request.app.state.dasbor_health = {}
    now = time.monotonic()
    kept = cache.get(service)
    if kept is not None and now - kept[0] < HEALTH_TTL_S:
        return kept[1]
    found = await _scrape(request, service)
    cache[service] = (time.monotonic(), found)
    return found


async def _scrape(request: Request, service: Service) -> dict[str, float] | None:
    try:
        r = await state_of(request).api.client(service).get("/metrics", timeout=3)
    except Exception:
        return None
    wanted = {
        "psm_outbox_pending_events": "outbox",
        "psm_outbox_oldest_pending_age_seconds": "outbox_age",
        "psm_dead_lettered_messages": "dead",
        "psm_consumer_lag": "lag",  # summed over the service's consumers and topics
    }
    found = {"outbox": 0.0, "outbox_age": 0.0, "dead": 0.0, "lag": 0.0}
    for family in text_string_to_metric_families(r.text):
        key = wanted.get(family.name)
        if key is None:
            continue
        for sample in family.samples:
            if not sample.name.endswith("_created"):
                found[key] += sample.value
    return found


async def _platform_health(
    request: Request, op: Operator
) -> list[tuple[Service, dict[str, float] | None]] | None:
    if not op.is_national_admin:
        return None
    answers = await asyncio.gather(*(_health(request, s) for s in SERVICES))
    return list(zip(SERVICES, answers, strict=True))


@router.get("/dasbor")
async def dashboard(request: Request, op: SignedIn, tahun: int | None = None) -> Response:
    """The dashboard of the operator's region."""
    year = tahun or state_of(request).clock.today().year
    year = min(max(year, 2000), 2100)
    lang = op.language
    by_status, by_level, training, health = await asyncio.gather(
        asyncio.gather(*(_counts(request, op, status=s) for s in STATUSES)),
        asyncio.gather(*(_counts(request, op, training_level=lv) for lv in LEVELS)),
        _training(request, op, year),
        _platform_health(request, op),
    )
    status_table = _table([label(f"status.{s}", lang) for s in STATUSES], list(by_status))
    level_table = _table([label(f"level.{lv}", lang) for lv in LEVELS], list(by_level))
    charts = {
        "status": _stacked(label("dash.by_status", lang), status_table),
        "level": _stacked(label("dash.by_level", lang), level_table),
    }
    if training and training.get("by_regency"):
        rows = training["by_regency"]
        charts["pass"] = bars(
            label("dash.pass_rate", lang),
            [r["region_code"] for r in rows],
            [None if r["pass_rate"] is None else round(100 * r["pass_rate"], 1) for r in rows],
        )
    return render(
        request,
        "dasbor.html",
        operator=op,
        year=year,
        status_table=status_table,
        level_table=level_table,
        training=training,
        health=health,
        charts=charts,
    )


def _stacked(title: str, table: Table) -> str | None:
    if not table.rows:
        return None
    series = {col: [cells[i] for _, _, cells in table.rows] for i, col in enumerate(table.columns)}
    return stacked_bars(title, table.names, series)
