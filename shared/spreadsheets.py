"""Cells of the CSV and XLSX files the platform produces, safe to open in a spreadsheet.

A text cell that begins with `=`, `+`, `-` or `@` (or a tab or a carriage return) is read by
Excel, LibreOffice and Google Sheets as a formula: a value that came from a user (a file
name, a reason, a region name) could run `=HYPERLINK(...)` or worse on the machine of whoever
opens the report ("CSV injection", OWASP). Every producer writes its cells through
`safe_cell`/`safe_row`, which prefix such text with a single quote, as OWASP recommends.

Numbers (int, float) pass through unchanged: a negative number we computed is not a
formula, and quoting it would turn it into text in the spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` if it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """`safe_cell` of every value of a row (for `csv.writer.writerow`)."""
    return [safe_cell(v) for v in values]


def safe_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """`safe_cell` of every value of a row (for `csv.DictWriter.writerow`)."""
    return {k: safe_cell(v) for k, v in values.items()}
