"""Reports per region and year, as JSON for machines and CSV for operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.training.service import reports
from shared.auth import CurrentPrincipal
from shared.deps import ReadSession

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get(
    "/regions/{region_code}.csv",
    response_class=Response,
    summary="The same report as CSV (one line per regency and a total)",
)
async def region_csv(
    region_code: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    year: int = Query(ge=2000, le=2100),
) -> Response:
    report = await reports.region_report(session, principal, region_code, year)
    filename = f"bimtek-{region_code}-{year}.csv"
    return Response(
        reports.as_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/regions/{region_code}", summary="Training figures of a region in a year (JSON)")
async def region_json(
    region_code: str,
    principal: CurrentPrincipal,
    session: ReadSession,
    year: int = Query(ge=2000, le=2100),
) -> dict[str, Any]:
    """region_code: 'national', a province ('32') or a regency ('32.76')."""
    return await reports.region_report(session, principal, region_code, year)
