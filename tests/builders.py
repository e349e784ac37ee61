"""Builders for test data (`make_x(**overrides)`): realistic, valid by default.

Owned by the registry work: when registration needs more fields, this builder follows, so
every other test keeps producing valid volunteers.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from shared.auth import Role, mint_token

DEPOK_VILLAGE = "32.76.01.1006"  # Kel. Depok, Kec. Pancoran Mas, Kota Depok (Jawa Barat)
BEKASI_VILLAGE = "32.75.01.1001"  # a village of Kota Bekasi

_serial = itertools.count(1)


def make_nik(
    *,
    region: str = "327601",
    birth: date = date(1990, 5, 17),
    female: bool = False,
    serial: int | None = None,
) -> str:
    """A NIK consistent with region, birth date and sex (day + 40 for women)."""
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{(serial or next(_serial)) % 10000:04d}"


def volunteer_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /volunteers body (a fresh NIK each call, consistent with birth date and sex)."""
    birth = date(1990, 5, 17)
    female = overrides.pop("female", False)
    body: dict[str, Any] = {
        "nik": make_nik(birth=birth, female=female),
        "full_name": "Siti Aminah",
        "birth_place": "Depok",
        "birth_date": birth.isoformat(),
        "sex": "P" if female else "L",
        "village_code": DEPOK_VILLAGE,
        "address": "Jl. Margonda Raya No. 1",
        "phone": "081234567890",
        "consents": {"data_processing": True, "contact": True},
    }
    body.update(overrides)
    return body


def auth_headers(
    settings: Any,
    *,
    role: Role | str = Role.NATIONAL_ADMIN,
    scope: str = "national",
    subject: str = "test-operator",
) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_token(settings, subject=subject, role=role, scope=scope)}"
    }
