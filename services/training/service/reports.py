"""Reports per region and year: certified volunteers, sessions, pass rates, improvement."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Certificate, Enrolment, TrainingSession
from services.training.domain.completion import mean_scores
from services.training.domain.enums import (
    CertificateStatus,
    Level,
    ParticipantOutcome,
    SessionStatus,
)
from services.training.domain.errors import InvalidRegion, RegionOutOfScope
from shared.i18n import t
from shared.identity import Principal
from shared.regions import is_region_code
from shared.spreadsheets import safe_mapping

LEVELS = tuple(Level)

CSV_COLUMNS = [
    "region_code",
    "year",
    "volunteers_dasar",
    "volunteers_lanjutan",
    "volunteers_khusus",
    "sessions_held",
    "participants",
    "passed",
    "failed",
    "pass_rate",
    "mean_pre_score",
    "mean_post_score",
    "mean_improvement",
]


def _in_region(column: Any, region: str) -> ColumnElement[bool]:
    if region == "national":
        return column.is_not(None)  # type: ignore[no-any-return]
    return (column == region) | column.startswith(region + ".")  # type: ignore[no-any-return]


async def region_report(
    session: AsyncSession, *, principal: Principal, region: str, year: int
) -> dict[str, Any]:
    """Totals for a region (national, a province '32' or a regency '32.76') in a year."""
    if region != "national" and (not is_region_code(region) or region.count(".") > 1):
        raise InvalidRegion(
            "region_code",
            t(
                "harus 'national', provinsi atau kabupaten/kota",
                "must be national, a province or a regency",
            ),
        )
    if not principal.sees(region):
        raise RegionOutOfScope(region, field="region_code")
    # Why the session's end date: a certificate belongs to the year its Bimtek was held,
    # even when it is issued or re-issued later.
    certified = await session.execute(
        select(
            Certificate.regency_code,
            Certificate.level,
            func.count(func.distinct(Certificate.volunteer_id)),
        )
        .join(TrainingSession, col(TrainingSession.id) == col(Certificate.session_id))
        .where(col(Certificate.status) == CertificateStatus.VALID)
        .where(col(TrainingSession.end_date) >= date(year, 1, 1))
        .where(col(TrainingSession.end_date) < date(year + 1, 1, 1))
        .where(_in_region(col(Certificate.regency_code), region))
        .group_by(col(Certificate.regency_code), col(Certificate.level))
    )
    held = await session.execute(
        select(func.count())
        .select_from(TrainingSession)
        .where(col(TrainingSession.status) == SessionStatus.COMPLETED)
        .where(col(TrainingSession.end_date) >= date(year, 1, 1))
        .where(col(TrainingSession.end_date) < date(year + 1, 1, 1))
        .where(_in_region(col(TrainingSession.organiser_region_code), region))
    )
    outcomes = await session.execute(
        select(Enrolment.regency_code, Enrolment.outcome, Enrolment.pre_score, Enrolment.post_score)
        .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
        .where(col(TrainingSession.status) == SessionStatus.COMPLETED)
        .where(col(TrainingSession.end_date) >= date(year, 1, 1))
        .where(col(TrainingSession.end_date) < date(year + 1, 1, 1))
        .where(col(Enrolment.outcome).is_not(None))
        .where(_in_region(col(Enrolment.regency_code), region))
    )
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"levels": {}, "rows": []})
    for regency, level, count in certified:
        per[regency]["levels"][level] = count
    for regency, outcome, pre, post in outcomes:
        per[regency]["rows"].append((outcome, pre, post))
    all_rows = [r for p in per.values() for r in p["rows"]]
    totals: dict[str, int] = defaultdict(int)
    for p in per.values():
        for level, count in p["levels"].items():
            totals[level] += count
    return {
        **_figures(region, year, dict(totals), all_rows),
        "sessions_held": int(held.scalar_one()),
        "by_regency": [
            _figures(code, year, p["levels"], p["rows"]) for code, p in sorted(per.items())
        ],
    }


def _figures(
    region: str, year: int, levels: dict[str, int], rows: list[tuple[str, Any, Any]]
) -> dict[str, Any]:
    passed = sum(1 for outcome, _, _ in rows if outcome == ParticipantOutcome.PASSED)
    pre, post, gain = mean_scores((p, q) for _, p, q in rows)
    return {
        "region_code": region,
        "year": year,
        "volunteers_certified": {level: levels.get(level, 0) for level in LEVELS},
        "participants": len(rows),
        "passed": passed,
        "failed": len(rows) - passed,
        "pass_rate": round(passed / len(rows), 4) if rows else None,
        "mean_pre_score": pre,
        "mean_post_score": post,
        "mean_improvement": gain,
    }


def as_csv(report: dict[str, Any]) -> str:
    """One line per regency, then the region's total (sessions held only on the total).

    Text cells go through `shared.spreadsheets.safe_mapping` (no formula injection).
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for figures in [
        *report["by_regency"],
        {**report, "region_code": f"{report['region_code']} (total)"},
    ]:
        writer.writerow(
            safe_mapping(
                {
                    **{k: figures.get(k) for k in CSV_COLUMNS if k in figures},
                    **{f"volunteers_{lvl}": figures["volunteers_certified"][lvl] for lvl in LEVELS},
                    "sessions_held": figures.get("sessions_held", ""),
                }
            )
        )
    return out.getvalue()
