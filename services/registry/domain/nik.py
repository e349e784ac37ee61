"""NIK (Nomor Induk Kependudukan) rules: PP KK CC DDMMYY SSSS, day + 40 for women."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import lokal
from lokal.nik import PROVINCES  # type: ignore[attr-defined]

from services.registry.domain.enums import Sex
from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.regions import region_exists

_DIGITS = re.compile(r"^\d{16}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


@dataclass(frozen=True)
class NikFacts:
    """What a valid NIK says about its holder."""

    nik: str
    birth_date: date
    sex: Sex
    regency_code: str


def looks_rounded(raw: str) -> bool:
    """True for what a spreadsheet makes of a 16-digit number: 3.27601E+15, 3276015705900000.0."""
    text = raw.strip()
    return bool(_SCIENTIFIC.match(text)) or text.endswith(".0")


def parse_nik(raw: str, *, today: date) -> NikFacts:
    """Validate format, region prefix and birth date; raise InvalidVolunteer('nik', ...).

    `today` decides the century of a two-digit birth year (a year after today's is 19yy).
    """
    nik = raw.strip()
    if not _DIGITS.match(nik):
        if looks_rounded(nik):
            raise InvalidVolunteer(
                "nik",
                "was read as a number and rounded by a spreadsheet; store the NIK column as text",
            )
        raise InvalidVolunteer("nik", "must be exactly 16 digits")
    return _plain(nik, today=today) or _with_lokal(nik)


def _plain(nik: str, *, today: date) -> NikFacts | None:
    """The facts of an unremarkable NIK (ASCII digits, known province and regency, non-zero
    codes and serial, a real birth date) computed directly, as lokal computes them; None
    for anything else, which `_with_lokal` then explains. Validation of a 100,000-row import
    spends a tenth of its time in lokal's parse otherwise; a property test holds the two
    to the same answers."""
    pp, kk, cc = nik[0:2], nik[2:4], nik[4:6]
    if not nik.isascii() or pp not in PROVINCES or "00" in (kk, cc) or nik[12:] == "0000":
        return None
    regency = f"{pp}.{kk}"
    if not region_exists(regency):
        return None
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = Sex.L
    if day > 40:
        sex, day = Sex.P, day - 40
    if day < 1:
        return None
    year = 2000 + yy if yy <= today.year % 100 else 1900 + yy
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return NikFacts(nik=nik, birth_date=born, sex=sex, regency_code=regency)


def _with_lokal(nik: str) -> NikFacts:
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
        sex=Sex(str(info.gender)),
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
