"""Kemendagri regions with names and time zones (reference data, no personal data)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from services.registry.domain.regions import DATASET_VERSION, Region, children, get_region
from shared.problems import Problem

router = APIRouter(prefix="/regions", tags=["regions"])


class RegionPublic(BaseModel):
    code: str
    name: str
    level: str
    type: str
    timezone: str
    timezone_label: str


class RegionDetail(RegionPublic):
    dataset: str
    children: list[RegionPublic]


def _public(r: Region) -> RegionPublic:
    return RegionPublic(**r.__dict__)


@router.get("", response_model=list[RegionPublic], summary="The provinces")
async def provinces() -> list[RegionPublic]:
    """All provinces with their time zone (WIB, WITA, WIT)."""
    return [_public(r) for r in children(None)]


@router.get("/{code}", response_model=RegionDetail, summary="One region and its children")
async def region(code: str) -> RegionDetail:
    """A province lists its regencies, a regency its districts, a district its villages."""
    found = get_region(code)
    if found is None:
        raise Problem(404, "Not found", f"no region {code} in dataset {DATASET_VERSION}")
    return RegionDetail(
        **found.__dict__,
        dataset=DATASET_VERSION,
        children=[_public(c) for c in children(code)],
    )
