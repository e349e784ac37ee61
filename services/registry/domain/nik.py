"""NIK (Nomor Induk Kependudukan) rules: PP KK CC DDMMYY SSSS, day + 40 for women."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import lokal

from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.regions import region_exists

_DIGITS = re.compile(r"^\d{16}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


@dataclass(frozen=True)
class NikFacts:
    """What a valid NIK says about its holder."""

    nik: str
    birth_date: date
    sex: str  # "L" (laki-laki) or "P" (perempuan)
    regency_code: str


def looks_rounded(raw: str) -> bool:
    """True for what a spreadsheet makes of a 16-digit number: 3.27601E+15, 3276015705900000.0."""
    text = raw.strip()
    return bool(_SCIENTIFIC.match(text)) or text.endswith(".0")


def parse_nik(raw: str) -> NikFacts:
    """Validate format, region prefix and birth date; raise InvalidVolunteer('nik', ...)."""
    nik = raw.strip()
    if not _DIGITS.match(nik):
        if looks_rounded(nik):
            raise InvalidVolunteer(
                "nik",
                "was read as a number and rounded by a spreadsheet; store the NIK column as text",
            )
        raise InvalidVolunteer("nik", "must be exactly 16 digits")
    info = lokal.parse_nik(nik)
    codes = {issue.code for issue in info.errors}
    if "province" in codes:
        raise InvalidVolunteer("nik", "starts with an unknown province code")
    regency = f"{nik[:2]}.{nik[2:4]}"
    if not region_exists(regency):
        raise InvalidVolunteer("nik", "has an unknown regency code (digits 3-4)")
    if not info.valid or info.birth_date is None or info.gender is None:
        raise InvalidVolunteer("nik", "has an impossible birth date (digits 7-12)")
    return NikFacts(
        nik=nik,
        birth_date=date.fromisoformat(info.birth_date),
        sex=str(info.gender),
        regency_code=regency,
    )


def check_consistency(facts: NikFacts, *, birth_date: date | None, sex: str | None) -> None:
    """The declared birth date and sex must be the ones encoded in the NIK."""
    if birth_date is not None and birth_date != facts.birth_date:
        raise InvalidVolunteer("birth_date", "does not match the birth date encoded in the NIK")
    if sex is not None and sex != facts.sex:
        raise InvalidVolunteer(
            "sex", "does not match the NIK (women's NIK birth day is the day plus 40)"
        )
