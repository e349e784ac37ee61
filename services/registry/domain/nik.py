"""NIK (Nomor Induk Kependudukan) rules: PP KK CC DDMMYY SSSS, day + 40 for women."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

import lokal
from lokal.nik import PROVINCES  # type: ignore[attr-defined]

from services.registry.domain.enums import Sex
from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.region_history import has_existed, retired_codes
from shared.i18n import t

_DIGITS = re.compile(r"^\d{16}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")

ROUNDED = t(
    "NIK terbaca sebagai angka dan dibulatkan oleh aplikasi lembar kerja; simpan kolom NIK "
    "sebagai teks",
    "was read as a number and rounded by a spreadsheet; store the NIK column as text",
)
BIRTH_DATE_MISMATCH = t(
    "tidak sesuai dengan tanggal lahir dalam NIK",
    "does not match the birth date encoded in the NIK",
)


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


def parse_nik(raw: str, *, today: date, birth_date: date | None = None) -> NikFacts:
    """Validate format, region prefix and birth date; raise InvalidVolunteer('nik', ...).

    The province and regency prefix may be any code that has existed (a NIK keeps the code
    it was issued with for life: `region_history`). The century of the two-digit birth year
    is the declared `birth_date`'s when one is given (its day, month and two-digit year must
    be the NIK's, else InvalidVolunteer('birth_date')); without one, `today` decides (a year
    after today's is 19yy).
    """
    nik = raw.strip()
    if not _DIGITS.match(nik):
        if looks_rounded(nik):
            raise InvalidVolunteer("nik", ROUNDED)
        raise InvalidVolunteer("nik", t("NIK harus 16 angka", "must be exactly 16 digits"))
    facts = _plain(nik, today=today) or _with_lokal(nik)
    return facts if birth_date is None else _in_declared_century(facts, birth_date)


def _in_declared_century(facts: NikFacts, declared: date) -> NikFacts:
    """The NIK's facts with the declared birth date, which must agree on day, month and
    two-digit year (the NIK cannot tell 1925 from 2025; the person can)."""
    encoded = facts.birth_date
    if (declared.day, declared.month, declared.year % 100) != (
        encoded.day,
        encoded.month,
        encoded.year % 100,
    ):
        raise InvalidVolunteer("birth_date", BIRTH_DATE_MISMATCH)
    return replace(facts, birth_date=declared)


def _known_province(pp: str) -> bool:
    return pp in PROVINCES or pp in retired_codes()


def _plain(nik: str, *, today: date) -> NikFacts | None:
    """The facts of an unremarkable NIK (ASCII digits, known province and regency, non-zero
    codes and serial, a real birth date) computed directly, as lokal computes them; None
    for anything else, which `_with_lokal` then explains. Validation of a 100,000-row import
    spends a tenth of its time in lokal's parse otherwise; a property test holds the two
    to the same answers."""
    pp, kk, cc = nik[0:2], nik[2:4], nik[4:6]
    if not nik.isascii() or not _known_province(pp) or "00" in (kk, cc) or nik[12:] == "0000":
        return None
    regency = f"{pp}.{kk}"
    if not has_existed(regency):
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
    if "province" in codes and not _known_province(nik[:2]):
        raise InvalidVolunteer(
            "nik",
            t(
                "kode provinsi NIK (angka 1-2) tidak dikenal",
                "starts with an unknown province code",
            ),
        )
    regency = f"{nik[:2]}.{nik[2:4]}"
    if not has_existed(regency):
        raise InvalidVolunteer(
            "nik",
            t(
                "kode kabupaten/kota NIK (angka 3-4) tidak dikenal",
                "has an unknown regency code (digits 3-4)",
            ),
        )
    if "wilayah" in codes:
        raise InvalidVolunteer(
            "nik",
            t(
                "kode kecamatan NIK (angka 5-6) tidak boleh 00",
                "has a district code of 00 (digits 5-6)",
            ),
        )
    if "birth_date" in codes or info.birth_date is None or info.gender is None:
        raise InvalidVolunteer(
            "nik",
            t(
                "tanggal lahir dalam NIK (angka 7-12) tidak mungkin",
                "has an impossible birth date (digits 7-12)",
            ),
        )
    if "serial" in codes:
        raise InvalidVolunteer(
            "nik",
            t(
                "nomor urut NIK (angka 13-16) tidak boleh 0000, nomor itu tidak pernah diterbitkan",
                "has the serial 0000 (digits 13-16), which is never issued",
            ),
        )
    if codes - {"province"}:
        raise InvalidVolunteer("nik", t("NIK tidak sah", "is not a valid NIK"))
    return NikFacts(
        nik=nik,
        birth_date=date.fromisoformat(info.birth_date),
        sex=Sex(str(info.gender)),
        regency_code=regency,
    )


def check_consistency(facts: NikFacts, *, birth_date: date | None, sex: str | None) -> None:
    """The declared birth date and sex must be the ones encoded in the NIK."""
    if birth_date is not None and birth_date != facts.birth_date:
        raise InvalidVolunteer("birth_date", BIRTH_DATE_MISMATCH)
    if sex is not None and sex != facts.sex:
        raise InvalidVolunteer(
            "sex",
            t(
                "jenis kelamin tidak sesuai dengan NIK (pada NIK perempuan, tanggal lahir "
                "ditambah 40)",
                "does not match the NIK (women's NIK birth day is the day plus 40)",
            ),
        )
