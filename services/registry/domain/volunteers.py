"""Rules about volunteers that need no database or broker."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import lokal

from services.registry.domain.errors import InvalidVolunteer
from shared.i18n import Text, t
from shared.regions import is_region_code, parents

__all__ = [
    "Domicile",
    "InvalidVolunteer",
    "age_on",
    "check_age",
    "clean_name",
    "clean_text",
    "domicile_of",
    "normalise_phone",
]


@dataclass(frozen=True)
class Domicile:
    """A village and the district, regency and province it lies in."""

    village_code: str
    district_code: str
    regency_code: str
    province_code: str


def domicile_of(village_code: str, *, exists: bool) -> Domicile:
    """The domicile of a village code, refusing codes that are malformed or unknown."""
    if not is_region_code(village_code) or village_code.count(".") != 3:
        raise InvalidVolunteer(
            "village_code",
            t(
                "harus berupa kode desa/kelurahan seperti 32.76.01.1001",
                "must be a village code like 32.76.01.1001",
            ),
        )
    if not exists:
        raise InvalidVolunteer(
            "village_code",
            t(
                "kode desa/kelurahan tidak dikenal (tidak ada dalam data wilayah Kemendagri)",
                "is not a village in the current Kemendagri dataset",
            ),
        )
    return Domicile(village_code=village_code, **parents(village_code))


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_age(birth_date: date, *, today: date, minimum: int = 18) -> None:
    """Permensos 10/2019: a PSM is at least 18 years old at registration."""
    if age_on(birth_date, today) < minimum:
        raise InvalidVolunteer(
            "birth_date",
            t(
                "umur relawan minimal {minimum} tahun",
                "the volunteer must be at least {minimum} years old",
                minimum=minimum,
            ),
        )


# A mobile number written the common ways (0812-3456-7890, +62 812 3456 7890, 6281234567890):
# after removing spaces and dashes, a prefix and 8 plus 8 to 11 digits. For these, lokal's
# parse_phone answers "+62" + the digits from the 8 on; anything else goes to lokal itself.
_PLAIN_MOBILE = re.compile(r"(?:\+62|62|0)(8[0-9]{8,11})")
_PLAIN_CHARS = frozenset("0123456789+- ")


def normalise_phone(raw: str | None) -> str | None:
    """An Indonesian number in E.164 (+62…), or None for an empty value."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if _PLAIN_CHARS.issuperset(text):  # the fast path of a bulk import (same answer)
        plain = _PLAIN_MOBILE.fullmatch(text.replace(" ", "").replace("-", ""))
        if plain is not None:
            return "+62" + plain.group(1)
    info = lokal.parse_phone(text)
    if not info.valid or not info.e164:
        raise InvalidVolunteer(
            "phone",
            t("bukan nomor HP Indonesia yang sah", "is not a valid Indonesian phone number"),
        )
    return str(info.e164)


def name_key(full_name: str) -> str:
    """The searchable form of a name (case- and space-insensitive)."""
    return " ".join(full_name.lower().split())


# Typed text (names, places, addresses) is stored as NFC with no surrounding whitespace, and
# never holds characters that change how the text around it is shown or read:
# - bidirectional overrides and isolates (and the LRM/RLM/ALM marks): they make a name read
#   differently from how it is stored ("Trojan Source");
# - control and invisible formatting characters (Unicode Cc, Cf), line and paragraph
#   separators (Zl, Zp), surrogates, private-use and unassigned code points.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
HAS_BIDI_CONTROL = Text(
    "memuat karakter pengatur arah teks (seperti U+202E)",
    "contains a bidirectional control character (such as U+202E)",
)
HAS_CONTROL = Text(
    "memuat karakter kendali atau karakter tak terlihat",
    "contains a control or invisible formatting character",
)
NAME_START = Text(
    "harus diawali huruf (bukan angka atau tanda seperti = + - @)",
    "must begin with a letter (not a digit or any of = + - @ or other signs)",
)
BLANK = Text("tidak boleh kosong", "must not be blank")


class RefusedText(ValueError):
    """Typed text that breaks a rule above; the message (a `Text`, `args[0]`) says which,
    never the text (`shared.problems.field_message` answers it in the caller's language)."""


def clean_text(value: str) -> str:
    """The text as stored: NFC, stripped; RefusedText if it holds a forbidden character."""
    if not (value.isascii() and value.isprintable()):
        if any(ch in BIDI_CONTROLS for ch in value):
            raise RefusedText(HAS_BIDI_CONTROL)
        if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in value):
            raise RefusedText(HAS_CONTROL)
        value = unicodedata.normalize("NFC", value)
    return value.strip()


def clean_name(value: str) -> str:
    """A person's or a place's name as stored: `clean_text`, and it begins with a letter.

    Why a letter: names legitimately do, and a leading `=`, `+`, `-` or `@` makes a
    spreadsheet read the name as a formula wherever it is exported (CSV injection).
    """
    text = clean_text(value)
    if not text:
        raise RefusedText(BLANK)
    if not text[0].isalpha():
        raise RefusedText(NAME_START)
    return text
