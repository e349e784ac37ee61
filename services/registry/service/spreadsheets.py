"""Streaming readers of CSV and XLSX volunteer lists: one row at a time, memory flat.

Every cell comes out as text (or None), except a NIK cell that a spreadsheet stored as a
number: that one is flagged, because Excel keeps only 15 significant digits and has
already rounded the last digit(s) of a 16-digit NIK.

Bounded (`SheetLimits`): a cell of more than 64 KiB of text, a line of more columns than
allowed, more data rows than allowed, or an XLSX whose unzipped content is over the limit
(a zip bomb) refuse the file with a problem naming the line or the limit, before it can
exhaust memory.

The header row may name the columns in Bahasa Indonesia or in English (`sheet_columns`:
the alias table); a CSV may be UTF-8, UTF-16 or Windows-1252 and separated by commas,
semicolons or tabs (`text_files`: how each is recognised). Refusals are `Text`s in both
languages.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

import openpyxl

from services.registry.domain.errors import UnreadableFile, UploadTooLarge
from services.registry.service.sheet_columns import COLUMNS, REQUIRED, column_names
from services.registry.service.text_files import open_text, sniff_delimiter
from shared.i18n import Text, t

__all__ = ["COLUMNS", "REQUIRED", "SheetLimits", "SheetRow", "read_chunks", "read_rows"]
XLSX_MAGIC = b"PK\x03\x04"

MAX_FIELD_CHARS = 64 * 1024
# Python's csv module refuses a field above its own limit (128 Ki characters by default) with
# a csv.Error; ours is lower and checked first, so the message names the line and column.
NOT_TEXT = t(
    "berkas CSV tidak dapat dibaca sebagai teks (UTF-8, UTF-16 atau Windows-1252); simpan "
    "ulang sebagai 'CSV UTF-8'",
    "the CSV file is not UTF-8, UTF-16 or Windows-1252 text; save it as 'CSV UTF-8'",
)
NOT_CSV = t("berkas ini bukan CSV yang dapat dibaca", "the file is not a readable CSV")
EMPTY = t("berkasnya kosong", "the file is empty")


def too_many_rows(limit: int) -> UploadTooLarge:
    """The refusal of a list of more than `limit` data rows."""
    return UploadTooLarge(
        t(
            "daftar berisi lebih dari {limit} baris data (batas maksimal)",
            "the list has more than {limit} data rows (the limit)",
            limit=limit,
        )
    )


def too_many_columns(where: Text, limit: int) -> UploadTooLarge:
    """The refusal of a line or a sheet of more than `limit` columns."""
    return UploadTooLarge(
        t(
            "{where_id} memiliki lebih dari {limit} kolom (batas maksimal)",
            "{where_en} has more than {limit} columns (the limit)",
            where_id=where.id,
            where_en=where.en,
            limit=limit,
        )
    )


def cell_too_long(where: Text, limit: int) -> UnreadableFile:
    """The refusal of a cell of more than `limit` characters."""
    return UnreadableFile(
        t(
            "{where_id}: sebuah sel lebih panjang dari {limit} karakter",
            "{where_en}: a cell is longer than {limit} characters",
            where_id=where.id,
            where_en=where.en,
            limit=limit,
        )
    )


def _line(number: int) -> Text:
    return t("baris {n}", "line {n}", n=number)


@dataclass(frozen=True)
class SheetLimits:
    """How large a list may be (registry's settings `import_max_*`)."""

    max_rows: int = 200_000
    max_columns: int = 64
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_field_chars: int = MAX_FIELD_CHARS


DEFAULT_LIMITS = SheetLimits()


@dataclass(frozen=True)
class SheetRow:
    """One data row of a list: its line number and its cells by column name."""

    number: int  # 1-based line/row number in the file, header = 1
    values: dict[str, str | None]
    nik_was_number: bool = False


def is_xlsx(path: Path) -> bool:
    """Whether the file is an XLSX workbook (a zip), whatever its name."""
    with path.open("rb") as f:
        return f.read(4) == XLSX_MAGIC


def read_rows(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[SheetRow]:
    """Rows of a CSV or XLSX file (detected from its content, not its name)."""
    rows = _xlsx_rows(path, limits) if is_xlsx(path) else _csv_rows(path, limits)
    return _at_most(rows, limits.max_rows)


def _at_most(rows: Iterator[SheetRow], limit: int) -> Iterator[SheetRow]:
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise too_many_rows(limit)
        yield row


def check_workbook(f: IO[bytes], limits: SheetLimits) -> None:
    """Refuse a workbook whose unzipped content is over the limit (a zip bomb), unread.

    The sizes are the zip's own records; zipfile never inflates an entry beyond its recorded
    size (it fails instead), so their sum bounds what openpyxl will read.
    """
    try:
        with zipfile.ZipFile(f) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(
            t(
                "bukan buku kerja XLSX yang dapat dibaca (berkas zip rusak)",
                "not a readable XLSX workbook (a damaged zip)",
            )
        ) from exc
    finally:
        f.seek(0)
    unzipped = sum(i.file_size for i in infos)
    if len(infos) > 10_000 or unzipped > limits.max_uncompressed_bytes:
        raise UploadTooLarge(
            t(
                "isi buku kerja setelah diekstrak lebih dari {limit} byte (batas maksimal)",
                "the workbook unzips to more than {limit} bytes (the limit)",
                limit=limits.max_uncompressed_bytes,
            ),
            limit_bytes=limits.max_uncompressed_bytes,
        )


def count_rows(path: Path) -> int | None:
    """Data rows in the file, cheaply (for the progress bar); None if unknown."""
    if is_xlsx(path):
        with path.open("rb") as f:
            check_workbook(f, DEFAULT_LIMITS)
            wb = openpyxl.load_workbook(f, read_only=True)
            try:
                max_row = wb.worksheets[0].max_row
                return max_row - 1 if max_row else None
            finally:
                wb.close()
    with path.open("rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def _header(cells: list[Any]) -> list[str]:
    """The column of each header cell ("" for one not imported: `sheet_columns`)."""
    try:
        return column_names(cells)
    except ValueError as exc:
        raise UnreadableFile(exc.args[0]) from exc


def _csv_rows(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[SheetRow]:
    with open_text(path) as f:
        yield from csv_rows(f, limits)


def _readable(
    lines: Iterator[tuple[int, list[str]]], limits: SheetLimits, names: list[str] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """The lines of a CSV reader; a file that is not text or not CSV is unreadable, and so
    is one with a cell or a line over the limits (the problem names the line)."""
    number = 0
    try:
        for number, cells in lines:
            if len(cells) > limits.max_columns:
                raise too_many_columns(_line(number), limits.max_columns)
            for i, cell in enumerate(cells):
                if len(cell) > limits.max_field_chars:
                    column = names[i] if names and i < len(names) and names[i] else f"#{i + 1}"
                    where = t(
                        "baris {n}, kolom {column}",
                        "line {n}, column {column}",
                        n=number,
                        column=column,
                    )
                    raise cell_too_long(where, limits.max_field_chars)
            yield number, cells
    except UnicodeDecodeError as exc:
        raise UnreadableFile(NOT_TEXT) from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise cell_too_long(_line(number + 1), limits.max_field_chars) from exc
        raise UnreadableFile(NOT_CSV) from exc


def _csv_cells(
    f: IO[str], limits: SheetLimits = DEFAULT_LIMITS
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's column names, and (line number, cells) of each non-blank line."""
    try:
        # The header line (bounded: a file without line breaks is not read whole here)
        header_line = f.readline(limits.max_field_chars * 2)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(NOT_TEXT) from exc
    f.seek(0)
    reader = csv.reader(f, csv.excel, delimiter=sniff_delimiter(header_line))
    try:
        names = _header(next(_readable(enumerate(reader, start=1), limits))[1])
    except StopIteration as exc:
        raise UnreadableFile(EMPTY) from exc
    lines = (
        (number, cells)
        for number, cells in _readable(enumerate(reader, start=2), limits, names)
        if any(c.strip() for c in cells)
    )
    return names, lines


def _csv_row(names: list[str], number: int, cells: list[str]) -> SheetRow:
    values = {n: (c.strip() or None) for n, c in zip(names, cells, strict=False) if n}
    return SheetRow(number, values)


def csv_rows(f: IO[str], limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[SheetRow]:
    """The data rows of an open CSV text stream."""
    names, lines = _csv_cells(f, limits)
    for number, cells in lines:
        yield _csv_row(names, number, cells)


def read_chunks(
    path: Path,
    size: int,
    *,
    index: int = 0,
    of: int = 1,
    limits: SheetLimits = DEFAULT_LIMITS,
) -> Iterator[list[SheetRow]]:
    """Chunks number index, index + of, index + 2·of, … of `size` rows each (a worker's
    share of the file). Rows of the other chunks are only counted, not turned into rows."""
    if of == 1 or is_xlsx(path):
        for k, whole in enumerate(chunks(read_rows(path, limits), size)):
            if k % of == index:
                yield whole
        return
    with open_text(path) as f:
        names, lines = _csv_cells(f, limits)
        chunk: list[SheetRow] = []
        seen = k = 0
        for total, (number, cells) in enumerate(lines, start=1):
            if total > limits.max_rows:
                raise too_many_rows(limits.max_rows)
            if k % of == index:
                chunk.append(_csv_row(names, number, cells))
            seen += 1
            if seen == size:
                if chunk:
                    yield chunk
                chunk, seen, k = [], 0, k + 1
        if chunk:
            yield chunk


def chunks(rows: Iterator[SheetRow], size: int) -> Iterator[list[SheetRow]]:
    """Lists of `size` rows (the last one shorter)."""
    while chunk := list(islice(rows, size)):
        yield chunk


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _xlsx_rows(path: Path, limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[SheetRow]:
    # A file object, not the path: openpyxl refuses paths without an .xlsx suffix.
    with path.open("rb") as f:
        yield from _workbook_rows(f, limits)


def _workbook_rows(f: IO[bytes], limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[SheetRow]:
    check_workbook(f, limits)
    try:
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableFile(
            t(
                "bukan buku kerja XLSX yang dapat dibaca ({error})",
                "not a readable XLSX workbook ({error})",
                error=type(exc).__name__,
            )
        ) from exc
    try:
        sheet = wb.worksheets[0]
        # The sheet's declared size (its <dimension>), when it has one; reading is bounded to
        # the column limit either way.
        if (sheet.max_column or 0) > limits.max_columns:
            raise too_many_columns(t("lembar kerja", "the sheet"), limits.max_columns)
        if (sheet.max_row or 0) > limits.max_rows + 1:
            raise too_many_rows(limits.max_rows)
        rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns)
        try:
            names = _header(list(next(rows)))
        except StopIteration as exc:
            raise UnreadableFile(
                t(
                    "lembar pertama buku kerja ini kosong",
                    "the workbook's first sheet is empty",
                )
            ) from exc
        for number, cells in enumerate(rows, start=2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            raw = dict(zip(names, cells, strict=False))
            nik_cell = raw.get("nik")
            values = {n: _text(v) for n, v in raw.items() if n}
            yield SheetRow(number, values, nik_was_number=isinstance(nik_cell, int | float))
    finally:
        wb.close()
