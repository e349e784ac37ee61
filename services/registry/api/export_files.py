"""The export's file formats: CSV streamed batch by batch, XLSX written row by row to a
temporary file (openpyxl write-only mode keeps memory flat)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from services.registry.service.export import HEADER


def _csv_text(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


async def csv_chunks(batches: AsyncIterator[list[list[Any]]]) -> AsyncIterator[str]:
    """The header, then one chunk of CSV text per batch of rows."""
    yield _csv_text([list(HEADER)])
    async for rows in batches:
        yield _csv_text(rows)


async def write_xlsx(batches: AsyncIterator[list[list[Any]]]) -> Path:
    """A workbook of the header and every row, in a temporary file the caller deletes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("volunteers")
    sheet.append(list(HEADER))

    def append(rows: list[list[Any]]) -> None:
        for row in rows:
            sheet.append(row)

    async for rows in batches:
        await asyncio.to_thread(append, rows)
    handle, name = tempfile.mkstemp(prefix="psm-export-", suffix=".xlsx")
    os.close(handle)
    await asyncio.to_thread(workbook.save, name)
    return Path(name)
