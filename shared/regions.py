"""Kemendagri region-code helpers shared by all services (pure functions, no data)."""

from __future__ import annotations

import re
from typing import Literal

#: the IANA zones of Indonesia: WIB, WITA, WIT (a closed list; events carry it)
Timezone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
LEVELS = ("province", "regency", "district", "village")

# Province (first two digits) → time zone, per Kemendagri province codes.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def is_region_code(code: str) -> bool:
    """Whether `code` looks like a Kemendagri province (32) or regency (32.76) code."""
    return bool(_CODE.match(code))


def level_of(code: str) -> str:
    """'32' province, '32.76' regency, '32.76.01' district, '32.76.01.1001' village."""
    if not is_region_code(code):
        raise ValueError(f"not a Kemendagri region code: {code!r}")
    return LEVELS[code.count(".")]


def parents(village_code: str) -> dict[str, str]:
    """Province, regency and district codes of a village code."""
    parts = village_code.split(".")
    return {
        "province_code": parts[0],
        "regency_code": ".".join(parts[:2]),
        "district_code": ".".join(parts[:3]),
    }


def within(code: str, scope: str) -> bool:
    """True if `code` lies inside region `scope` ('national' contains everything)."""
    return scope == "national" or code == scope or code.startswith(scope + ".")


def timezone_of(province_code: str) -> Timezone:
    """IANA zone of a province: WIB (Asia/Jakarta), WITA (Asia/Makassar), WIT (Asia/Jayapura)."""
    p = province_code[:2]
    if p in _WIT:
        return "Asia/Jayapura"
    if p in _WITA:
        return "Asia/Makassar"
    return "Asia/Jakarta"


def timezone_label(province_code: str) -> str:
    """WIB, WITA or WIT for a province."""
    return {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}[
        timezone_of(province_code)
    ]
