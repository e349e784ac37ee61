"""List export of a region's volunteers as CSV and XLSX: scoped, NIK masked unless the role
may see it and asks, cells safe from formulas, audited, streamed in batches."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from services.registry.service import export as list_export
from shared.clock import FrozenClock
from tests.builders import BEKASI_VILLAGE, volunteer_payload
from tests.registry.helpers import DEPOK, JABAR, NATIONAL, VIEWER, registry_http

SAMPLE = Path(__file__).parents[2] / "bench" / "samples" / "ntb-sample.csv"


def rows_of_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_a_csv_export_lists_the_callers_region_with_masked_niks(database_url):
    async with registry_http(database_url) as reg:
        mine = volunteer_payload()
        await reg.post("/volunteers", DEPOK, json=mine)
        await reg.post("/volunteers", JABAR, json=volunteer_payload(village_code=BEKASI_VILLAGE))
        r = await reg.get("/volunteers/export.csv", DEPOK)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        [row] = rows_of_csv(r.text)
        assert row["nik"] == mine["nik"][:4] + "********" + mine["nik"][-4:]
        assert row["village_code"] == mine["village_code"]
        assert mine["nik"] not in r.text


async def test_a_full_nik_export_is_for_operator_roles_and_audited(database_url):
    async with registry_http(database_url) as reg:
        mine = volunteer_payload()
        await reg.post("/volunteers", DEPOK, json=mine)
        full = await reg.get("/volunteers/export.csv?reveal_nik=true", DEPOK)
        assert [r["nik"] for r in rows_of_csv(full.text)] == [mine["nik"]]
        refused = await reg.get("/volunteers/export.csv?reveal_nik=true", VIEWER)
        assert refused.status_code == 403
        masked = await reg.get("/volunteers/export.csv", VIEWER)
        assert mine["nik"] not in masked.text and len(rows_of_csv(masked.text)) == 1
        audited = await reg.sql(
            "SELECT action, detail FROM audit_log WHERE action IN "
            "('volunteers.export', 'nik.read') ORDER BY at, action"
        )
        assert [tuple(a) for a in audited] == [
            ("nik.read", "export csv"),
            ("volunteers.export", "csv region=32.76 nik=full"),
            ("volunteers.export", "csv region=32.76 nik=masked"),
        ]


async def test_exported_cells_cannot_run_as_formulas(database_url):
    async with registry_http(database_url) as reg:
        await reg.post("/volunteers", DEPOK, json=volunteer_payload())
        # a name stored before names had to begin with a letter
        async with reg.app.state.runtime.engine.begin() as conn:
            await conn.execute(text("UPDATE volunteers SET full_name = '=HYPERLINK(1)'"))
        [row] = rows_of_csv((await reg.get("/volunteers/export.csv", DEPOK)).text)
        assert row["full_name"] == "'=HYPERLINK(1)"
        r = await reg.get("/volunteers/export.xlsx", DEPOK)
        sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
        assert list(sheet.iter_rows(values_only=True))[1][2] == "'=HYPERLINK(1)"


async def test_an_xlsx_export_holds_the_same_rows(database_url):
    async with registry_http(database_url) as reg:
        for _ in range(3):
            await reg.post("/volunteers", DEPOK, json=volunteer_payload())
        csv_rows = rows_of_csv((await reg.get("/volunteers/export.csv", DEPOK)).text)
        r = await reg.get("/volunteers/export.xlsx", DEPOK)
        assert r.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert tuple(values[0]) == list_export.HEADER
        as_text = [[v or "" for v in row] for row in values[1:]]
        assert [dict(zip(values[0], row, strict=True)) for row in as_text] == csv_rows


async def test_a_large_export_is_read_in_batches_in_registration_order(database_url, monkeypatch):
    monkeypatch.setattr(list_export, "BATCH_ROWS", 2)
    async with registry_http(database_url) as reg:
        ids = [
            (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
            for _ in range(5)
        ]
        r = await reg.get("/volunteers/export.csv?status=candidate", DEPOK)
        assert [row["id"] for row in rows_of_csv(r.text)] == ids


@pytest.mark.parametrize("path", ["/volunteers/export.csv", "/volunteers/export.xlsx"])
async def test_an_export_refuses_unknown_filters(database_url, path):
    async with registry_http(database_url) as reg:
        r = await reg.get(f"{path}?regon=32.76", DEPOK)
        assert r.status_code == 422


async def test_rows_registered_at_the_same_instant_are_each_exported_once(
    database_url, monkeypatch
):
    monkeypatch.setattr(list_export, "BATCH_ROWS", 2)
    clock = FrozenClock(datetime(2026, 6, 1, 3, tzinfo=UTC))  # an import's chunk: one instant
    async with registry_http(database_url, clock=clock) as reg:
        ids = [
            (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
            for _ in range(5)
        ]
        r = await asyncio.wait_for(reg.get("/volunteers/export.csv", DEPOK), timeout=30)
        assert sorted(row["id"] for row in rows_of_csv(r.text)) == sorted(ids)


async def test_imported_rows_are_exported_once_each(database_url, monkeypatch):
    """The bulk importer writes its rows through the driver; the export still ends."""
    monkeypatch.setattr(list_export, "BATCH_ROWS", 7)
    async with registry_http(database_url) as reg:
        sample = SAMPLE.read_bytes()
        imported = await reg.post(
            "/volunteers/imports", NATIONAL, files={"file": ("ntb.csv", sample, "text/csv")}
        )
        assert imported.status_code in (200, 201), imported.text
        await reg.post("/volunteers", NATIONAL, json=volunteer_payload())
        r = await asyncio.wait_for(reg.get("/volunteers/export.csv", NATIONAL), timeout=60)
        ids = [row["id"] for row in rows_of_csv(r.text)]
        assert len(ids) == len(set(ids)) == 41
