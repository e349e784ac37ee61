"""Kemendagri regions with names and time zones (reference data, no personal data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from services.registry.api.schemas import REGION_PATTERN
from services.registry.domain.errors import RegionNotFound
from services.registry.domain.regions import DATASET_VERSION, Region, children, region_of
from shared.problems import raises
from shared.throttle import throttle

# Public reference data (no login): throttled per client (REGISTRY_PUBLIC_RATE_PER_MINUTE).
router = APIRouter(prefix="/regions", tags=["regions"], dependencies=[Depends(throttle("regions"))])


class RegionPublic(BaseModel):
    """A region with its level and time zone."""

    code: str
    name: str
    level: str
    type: str
    timezone: str
    timezone_label: str


class RegionDetail(RegionPublic):
    """A region, the dataset it comes from and its direct children."""

    dataset: str
    children: list[RegionPublic]


def _public(r: Region) -> RegionPublic:
    return RegionPublic(**r.__dict__)


@router.get("", response_model=list[RegionPublic], summary="The provinces")
async def provinces() -> list[RegionPublic]:
    """All provinces with their time zone (WIB, WITA, WIT)."""
    return [_public(r) for r in children(None)]


@router.get("/{code}", response_model=RegionDetail, summary="One region and its children")
@raises(RegionNotFound)
async def region(
    code: Annotated[str, Path(pattern=REGION_PATTERN, examples=["32.76"])],
) -> RegionDetail:
    """A province lists its regencies, a regency its districts, a district its villages."""
    found = region_of(code)
    return RegionDetail(
        **found.__dict__,
        dataset=DATASET_VERSION,
        children=[_public(c) for c in children(code)],
    )
