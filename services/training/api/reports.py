"""Reports per region and year, as JSON for machines and CSV for operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from services.training.domain.errors import RegionOutOfScope
from services.training.service import reports
from shared.auth import CurrentPrincipal
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/reports", tags=["reports"])
Region = Path(
    pattern=r"^(national|\d{2}(\.\d{2})?)$",
    examples=["32.76"],
    description="'national', a province ('32') or a regency ('32.76')",
)
Year = Query(ge=2000, le=2100, examples=[2022])


class CertifiedPerLevel(BaseModel):
    """Volunteers holding a valid certificate of each level."""

    dasar: int
    lanjutan: int
    khusus: int


class RegionFigures(BaseModel):
    """A region's training figures in a year."""

    region_code: str
    year: int
    volunteers_certified: CertifiedPerLevel
    participants: int
    passed: int
    failed: int
    pass_rate: float | None
    mean_pre_score: float | None
    mean_post_score: float | None
    mean_improvement: float | None


class RegionReport(RegionFigures):
    """A region's figures, the sessions it held, and the same figures per regency."""

    sessions_held: int
    by_regency: list[RegionFigures]


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One line per regency and the region's total",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/regions/{region_code}.csv",
    response_class=Response,
    responses=CSV_RESPONSE,
    summary="The same report as CSV (one line per regency and a total)",
)
@raises(RegionOutOfScope)
async def region_csv(
    principal: CurrentPrincipal,
    session: ReadSession,
    region_code: str = Region,
    year: int = Year,
) -> Response:
    """The region's report in a year, as a CSV download."""
    report = await reports.region_report(
        session, principal=principal, region=region_code, year=year
    )
    filename = f"bimtek-{region_code}-{year}.csv"
    return Response(
        reports.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/regions/{region_code}",
    response_model=RegionReport,
    summary="Training figures of a region in a year (JSON)",
)
@raises(RegionOutOfScope)
async def region_json(
    principal: CurrentPrincipal,
    session: ReadSession,
    region_code: str = Region,
    year: int = Year,
) -> RegionReport:
    """Certified volunteers per level, sessions held, pass rate and improvement."""
    report = await reports.region_report(
        session, principal=principal, region=region_code, year=year
    )
    return RegionReport.model_validate(report)
