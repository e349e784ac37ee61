"""Region codes that have existed: the current dataset plus the retired codes kept as data.

A NIK keeps the province, regency and district codes of the place it was first issued in,
for life; regions split, so a valid NIK may carry a code the current dataset no longer has.
The retired codes live in `data/region_history.json` (see the README to extend it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from services.registry.domain.regions import region_exists


@dataclass(frozen=True)
class RetiredCode:
    """A province or regency code that ended (its year) and the code it became."""

    code: str
    ended: int
    became: str
    name: str
    basis: str


@dataclass(frozen=True)
class ProvinceSplit:
    """A province formed from another one (the record of why codes were retired)."""

    province: str
    name: str
    parent: str
    year: int
    basis: str


@cache
def _history() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("services.registry.domain").joinpath("data/region_history.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return {key: loaded[key] for key in ("retired", "province_splits")}


@cache
def retired_codes() -> dict[str, RetiredCode]:
    """Every retired code of the history file, by code."""
    return {row["code"]: RetiredCode(**row) for row in _history()["retired"]}


@cache
def province_splits() -> tuple[ProvinceSplit, ...]:
    """Every province split recorded in the history file."""
    return tuple(
        ProvinceSplit(
            province=r["province"],
            name=r["name"],
            parent=r["from"],
            year=r["year"],
            basis=r["basis"],
        )
        for r in _history()["province_splits"]
    )


def has_existed(code: str) -> bool:
    """True if `code` is in the current dataset or was retired from an earlier one."""
    return code in retired_codes() or region_exists(code)
