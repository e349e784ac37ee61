"""Redaction of personal identifiers (NIK, phone numbers) from free text.

Used by the log processor and the dead-letter writer so neither can leak a NIK or a phone
number that slipped into an exception message or a malformed payload.
"""

from __future__ import annotations

import re
from typing import Any

# A NIK is exactly 16 digits; phone numbers are Indonesian mobile numbers in any of the
# usual spellings (+62 8.., 62 8.., 08..) with optional separators.
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s\-.]?8\d(?:[\s\-.]?\d){6,11}(?!\d)")

NIK_MASK = "[NIK]"
PHONE_MASK = "[PHONE]"


def redact_text(text: str) -> str:
    """Replace every NIK- or phone-looking sequence in text."""
    return _PHONE.sub(PHONE_MASK, _NIK.sub(NIK_MASK, text))


def redact(value: Any) -> Any:
    """Redact strings inside nested dicts, lists and tuples."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


def mask_nik(nik: str) -> str:
    """Show the region prefix and serial only: 3276********0001."""
    return nik[:4] + "*" * 8 + nik[-4:] if len(nik) == 16 else "*" * len(nik)
