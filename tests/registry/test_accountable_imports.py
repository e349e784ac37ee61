"""Uploads are capped while they stream; lists are bounded (cells, rows, columns, zip bombs);
an import's record exists before its rows, carries its counts chunk by chunk, is handed to
the client even when the import stops, and a killed import is marked `interrupted`."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import sqlite3
import sys
import textwrap
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services.registry.main import create_app, sweep_interrupted_imports
from shared.clock import FrozenClock
from tests.builders import volunteer_payload
from tests.registry.helpers import NATIONAL, registry_http
from tests.support import migrate, settings_for

COLUMNS = ["nik", "full_name", "birth_date", "sex", "village_code"]
MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def csv_of(count: int, *, extra: list[list[str]] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for _ in range(count):
        body = volunteer_payload()
        writer.writerow([body[c] for c in COLUMNS])
    for row in extra or []:
        writer.writerow(row)
    return out.getvalue().encode()


class Body:
    """A large request body, produced on demand, counting what the server pulled."""

    def __init__(self, size: int, chunk: int = 64 * 1024) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            piece = min(self.chunk, self.size - self.sent)
            self.sent += piece
            yield b"x" * piece


async def test_a_declared_oversized_upload_is_refused_before_its_body_is_read(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        body = Body(50 * MB)
        headers = reg.headers(NATIONAL) | {"Content-Length": str(50 * MB)}
        r = await reg.client.post("/volunteers/imports", content=body, headers=headers)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert str(20 * MB) in r.json()["detail"] and r.json()["limit_bytes"] == 20 * MB
        assert body.sent <= body.chunk
        assert await reg.sql("SELECT id FROM imports") == []


async def test_a_streamed_oversized_upload_is_refused_as_soon_as_it_passes_the_limit(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", max_upload_bytes=MB) as reg:
        body = Body(50 * MB)  # no Content-Length: chunked
        r = await reg.client.post(
            "/volunteers/imports", content=body, headers=reg.headers(NATIONAL)
        )
        assert r.status_code == 413
        assert body.sent <= MB + 2 * body.chunk  # 50 MB offered, about 1 MB read


async def test_a_form_upload_over_the_limit_is_refused(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", max_upload_bytes=MB) as reg:
        data = csv_of(1) + b"#" * (2 * MB)
        r = await reg.client.post(
            "/volunteers/imports",
            files={"file": ("list.csv", data, "text/csv")},
            headers=reg.headers(NATIONAL),
        )
        assert r.status_code == 413
        assert await reg.sql("SELECT id FROM volunteers") == []


async def test_a_huge_csv_cell_is_a_422_naming_the_line_not_a_500(tmp_path):
    huge = volunteer_payload()
    data = csv_of(
        2, extra=[[huge["nik"], "A" * (30 * MB), huge["birth_date"], "L", huge["village_code"]]]
    )
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db", max_upload_bytes=40 * MB, import_chunk_size=2
    ) as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=data)
        assert r.status_code == 422, r.text
        assert "baris 4" in r.json()["detail"]
        assert "A" * 100 not in r.text
        # The rows before it were imported, and the problem says which import holds them.
        record = (await reg.get(f"/volunteers/imports/{r.json()['import_id']}", NATIONAL)).json()
        assert (record["status"], record["imported"]) == ("failed", 2)


async def test_a_csv_with_too_many_rows_or_columns_is_refused(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", import_max_rows=3) as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=csv_of(5))
        assert r.status_code == 413
        assert "lebih dari 3 baris data" in r.json()["detail"]
        wide = csv_of(1).replace(b"\r\n", b"," * 100 + b"\r\n", 2)
        r = await reg.post("/volunteers/imports", NATIONAL, content=wide)
        assert r.status_code == 413
        assert "kolom" in r.json()["detail"]


async def test_an_xlsx_zip_bomb_is_refused_before_it_is_unzipped(tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (20 * MB))
    assert len(bomb.getvalue()) < MB
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db", import_max_uncompressed_bytes=5 * MB
    ) as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=bomb.getvalue())
        assert r.status_code == 413
        assert "setelah diekstrak lebih dari" in r.json()["detail"]


async def test_an_xlsx_with_too_many_rows_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(COLUMNS)
    for _ in range(6):
        body = volunteer_payload()
        ws.append([body[c] for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", import_max_rows=5) as reg:
        r = await reg.post("/volunteers/imports", NATIONAL, content=out.getvalue())
        assert r.status_code == 413
        assert await reg.sql("SELECT id FROM volunteers") == []


async def test_every_imported_row_is_audited_and_the_record_counts_them(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", import_chunk_size=4) as reg:
        report = (await reg.post("/volunteers/imports", NATIONAL, content=csv_of(10))).json()
        assert (report["status"], report["imported"]) == ("completed", 10)
        audited = await reg.sql(
            "SELECT COUNT(*) FROM volunteers v JOIN audit_log a ON a.volunteer_id = v.id "
            "AND a.action = 'volunteer.create' AND a.detail = :d",
            d=f"import {report['id']}",
        )
        assert audited == [(10,)]


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from services.registry.main import create_app
    from services.registry.service.access import Actor
    from services.registry.service.imports import Importer
    from services.registry.service.spreadsheets import read_rows
    from shared.clock import SYSTEM_CLOCK
    from tests.support import settings_for

    def slow(rows):
        for row in rows:
            time.sleep(0.002)
            yield row

    async def main():
        settings = settings_for("registry", database_url={url!r}, bootstrap="127.0.0.1:1",
                                import_chunk_size=50)
        app = create_app(settings)
        importer = Importer(app.state.runtime.sessionmaker,
                            actor=Actor("crash-test", "national_admin", "national"),
                            vault=app.state.service.vault, settings=settings, clock=SYSTEM_CLOCK)
        await importer.run(slow(read_rows(Path({path!r}))), filename="big.csv")

    asyncio.run(main())
    """
)


def imported_so_far(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT MAX(imported) FROM imports").fetchone()
    return int(row[0] or 0)


@pytest.mark.subprocess
async def test_an_import_killed_midway_is_marked_interrupted_with_its_counts(tmp_path):
    db = tmp_path / "r.db"
    url = f"sqlite+aiosqlite:///{db}"
    await migrate("registry", url)
    source = tmp_path / "big.csv"
    source.write_bytes(csv_of(3000))
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), url=url, path=str(source)))
    child = await asyncio.create_subprocess_exec(sys.executable, str(script), cwd=ROOT)
    try:
        for _ in range(600):
            if imported_so_far(db) >= 200 or child.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert child.returncode is None, "the import ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)  # no chance to mark anything
        await asyncio.wait_for(child.wait(), timeout=10)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()

    later = FrozenClock(datetime.now(UTC) + timedelta(hours=1))
    app = create_app(
        settings_for("registry", database_url=url, bootstrap="127.0.0.1:1"), clock=later
    )
    try:
        await sweep_interrupted_imports(app.state.service)
    finally:
        await app.state.runtime.engine.dispose()

    with sqlite3.connect(db) as conn:
        [(status, imported, rows)] = conn.execute(
            "SELECT status, imported, rows FROM imports"
        ).fetchall()
        [(volunteers,)] = conn.execute("SELECT COUNT(*) FROM volunteers").fetchall()
        [(unaudited,)] = conn.execute(
            "SELECT COUNT(*) FROM volunteers v WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
            "WHERE a.volunteer_id = v.id AND a.action = 'volunteer.create')"
        ).fetchall()
    assert status == "interrupted"
    assert 200 <= imported < 3000
    assert imported == volunteers == rows  # every row so far valid: counts match the table
    assert unaudited == 0


async def test_the_start_up_sweep_leaves_imports_that_are_making_progress(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    async with registry_http(url, clock=FrozenClock(now)) as reg:
        await reg.post("/volunteers/imports", NATIONAL, content=csv_of(1))
        await reg.sql("SELECT 1")
    with sqlite3.connect(tmp_path / "r.db") as conn:
        conn.execute("UPDATE imports SET status = 'running', finished_at = NULL")
        conn.execute(
            "INSERT INTO imports (id, actor, scope, filename, rows, imported, invalid, "
            "duplicates, errors_csv, started_at, status, updated_at) SELECT "
            "'0123456789abcdef0123456789abcdef', actor, scope, 'other', 0, 0, 0, 0, '', "
            "started_at, 'running', :fresh FROM imports",
            {"fresh": (now + timedelta(minutes=59)).strftime("%Y-%m-%d %H:%M:%S.%f")},
        )
    settings: Any = settings_for("registry", database_url=url, bootstrap="127.0.0.1:1")
    app = create_app(settings, clock=FrozenClock(now + timedelta(hours=1)))
    try:
        await sweep_interrupted_imports(app.state.service)
    finally:
        await app.state.runtime.engine.dispose()
    with sqlite3.connect(tmp_path / "r.db") as conn:
        statuses = dict(conn.execute("SELECT filename, status FROM imports").fetchall())
    assert statuses == {"upload": "interrupted", "other": "running"}
