"""Field types for request schemas, the same in every service: JSON types taken as they are.

pydantic's lax mode converts what a JSON Schema validator would refuse (a number read as a
Unix timestamp for a date, "7" or true for an integer), so what a service accepts would
differ from what its OpenAPI document promises. These types refuse such input with 422
while leaving the schema as it is:

- `IsoDate`, `IsoDateTime`: a date/time as ISO 8601 text, never a number.
- `Integer` (and `number_only` for constrained or nested integers): a JSON number whose
  fraction is zero, never a string or a boolean. For booleans and floats use pydantic's
  `StrictBool` / `StrictFloat`.
- `left_out()`: the default of a PATCH field that may be left out but not set to null.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from shared.i18n import t


def left_out() -> Any:
    """Default of a PATCH field that may be left out but not set to null.

    Why a factory and not `default=None`: the field's schema stays non-nullable (an
    explicit null is refused with 422), and `exclude_unset` drops the field when absent.
    """
    return None


_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def iso_only(value: Any) -> Any:
    """Refuse a number (or numeric text) before pydantic reads it as a date or time.

    Why: pydantic reads a number as a Unix timestamp; the API promises ISO 8601 text.
    """
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError(
            t("harus berupa tanggal ISO 8601 (TTTT-BB-HH)", "must be an ISO 8601 date")
        )
    return value


IsoDate = Annotated[date, BeforeValidator(iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(iso_only)]


def number_only(value: Any) -> Any:
    """Refuse what is not a JSON number before pydantic reads it as an integer.

    Why: pydantic reads "7" and true as integers; JSON Schema's integer is a number whose
    fraction is zero (7 or 7.0), nothing else.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(t("harus berupa bilangan bulat", "must be a whole number"))
    return value


# Constraints go inside (`Annotated[int, Field(ge=...), BeforeValidator(number_only)]`) when
# the type is nested or optional: outside, pydantic writes them into the schema unconverted.
Integer = Annotated[int, BeforeValidator(number_only)]


# Why: `\s` means different characters to the two regex engines a pattern meets. JSON
# Schema's (ECMA 262, what the OpenAPI document promises) includes U+FEFF but not U+0085;
# pydantic's (Rust, Unicode White_Space) the other way round. Inside a character class,
# `SPACE` names both, so the schema and the validation refuse the same strings:
# `pattern=rf"^[^@{SPACE}]+@[^@{SPACE}]+$"`.
SPACE = r"\s\x85\uFEFF"
