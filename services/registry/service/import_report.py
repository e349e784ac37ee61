"""An import's per-row error report: stored once in both languages, handed out in one.

Stored (`stored_report`, the record's `errors_csv`): a CSV of `row, field, reason_id,
reason_en, existing_volunteer_id`, so the report can be downloaded in Bahasa Indonesia or
English long after the import. Reports stored before there were two languages
(`row, field, reason, existing_volunteer_id`) are still read; their reasons are English.

Handed out (`errors_csv`): in Indonesian —

    Baris,Kolom,Alasan,ID relawan terdaftar
    44,NIK,NIK harus 16 angka,

or in English (`row, field, reason, existing_volunteer_id`, the field as the API names it),
one line per refused row in the file's order.
A row refused only because its NIK was registered before carries that volunteer's id; with
`include_registered=False` such rows are left out (they are counted in the import's
`already_registered`), so the rows that need fixing stand out in a re-imported list.
Every cell goes through `safe_row` (a header name from the file could be a formula).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator

from services.registry.service.import_rows import RowError
from services.registry.service.sheet_columns import label
from shared.i18n import Language, Text
from shared.spreadsheets import safe_row

STORED_HEADER = ["row", "field", "reason_id", "reason_en", "existing_volunteer_id"]
LEGACY_HEADER = ["row", "field", "reason", "existing_volunteer_id"]
HEADERS: dict[str, list[str]] = {
    "id": ["Baris", "Kolom", "Alasan", "ID relawan terdaftar"],
    "en": ["row", "field", "reason", "existing_volunteer_id"],
}


def _text(reason: Text | str) -> Text:
    return reason if isinstance(reason, Text) else Text(reason, reason)


def stored_report(errors: Iterable[RowError]) -> str:
    """The report as the import's record keeps it (both languages)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STORED_HEADER)
    for e in errors:
        reason = _text(e.reason)
        writer.writerow([e.row, e.field, reason.id, reason.en, e.existing_id or ""])
    return out.getvalue()


def stored_errors(stored: str) -> Iterator[RowError]:
    """The row errors of a stored report (either layout)."""
    reader = csv.reader(io.StringIO(stored))
    header = next(reader, None)
    legacy = header == LEGACY_HEADER
    for cells in reader:
        if legacy and len(cells) == 4:
            row, field, reason, existing = cells
            text = Text(reason, reason)
        elif len(cells) == 5:
            row, field, reason_id, reason_en, existing = cells
            text = Text(reason_id, reason_en)
        else:
            continue
        yield RowError(
            int(row) if row.isdigit() else 0,
            field,
            text,
            uuid.UUID(existing) if existing else None,
        )


def errors_csv(
    errors: Iterable[RowError], language: Language = "en", *, include_registered: bool = True
) -> str:
    """The downloadable report in `language` (see the module's documentation)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS[language])
    for e in sorted(errors, key=lambda e: e.row):  # in the file's order
        if e.existing_id is not None and not include_registered:
            continue
        row = [e.row, label(e.field).get(language), _text(e.reason).get(language)]
        writer.writerow(safe_row([*row, e.existing_id or ""]))
    return out.getvalue()


def report_csv(stored: str, language: Language, *, include_registered: bool = True) -> str:
    """The downloadable report of a stored one."""
    return errors_csv(stored_errors(stored), language, include_registered=include_registered)


def count_registered(stored: str) -> int:
    """How many rows of a stored report were refused as already registered."""
    return sum(1 for e in stored_errors(stored) if e.existing_id is not None)
