"""Bulk import into SQLite (the registry issue's figure): 100,000 rows of a CSV file through
registry's Importer (worker processes, chunked transactions, outbox rows), against a raw
baseline measured in the same run: the same chunks' rows, already validated and prepared,
inserted with the stdlib's sqlite3 `executemany` into the same schema — the database's own
insert ceiling on this machine, with no validation, encryption, events or asyncio.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.samples.generate import write
from bench.samples.measure_import import MIGRATIONS, measure
from services.registry.config import Settings
from services.registry.service.access import Actor
from services.registry.service.import_rows import validate_chunk
from services.registry.service.spreadsheets import read_chunks
from shared.clock import SYSTEM_CLOCK
from shared.migrations import upgrade


def raw_baseline(path: Path, db: Path, chunk: int) -> dict[str, Any]:
    """Prepare every chunk first (not timed), then time the inserts alone."""
    url = f"sqlite+aiosqlite:///{db}"
    upgrade(MIGRATIONS, url)
    settings = Settings(database_url=url)
    actor = Actor("bench", "national_admin", "national")
    now, today = SYSTEM_CLOCK.now(), SYSTEM_CLOCK.today()
    prepared = [
        validate_chunk(c, actor, settings, now=now, today=today) for c in read_chunks(path, chunk)
    ]
    rows = sum(len(p.valid) for p in prepared)
    conn = sqlite3.connect(db, isolation_level=None)
    cache = f"cache_size=-{settings.import_sqlite_cache_mb * 1024}"  # as the Importer's
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", cache):
        conn.execute(f"PRAGMA {pragma}")
    started, cpu = time.perf_counter(), time.process_time()
    for p in prepared:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(p.volunteers.sql or "", p.volunteers.rows)
        conn.executemany(p.events.sql or "", p.events.rows)
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "cpu_seconds": round(cpu, 2),
    }


async def imports(work: Path, rows: int, *, province: str = "35") -> dict[str, Any]:
    service_dir, raw_dir = work / "importer", work / "raw"
    for d in (service_dir, raw_dir):
        await asyncio.to_thread(d.mkdir, parents=True, exist_ok=True)
    # measure() writes its own file of `rows` rows and imports it into a fresh database.
    service = await asyncio.to_thread(measure, rows, province, service_dir)
    path = await asyncio.to_thread(write, raw_dir / "volunteers.csv", province, rows)
    raw = await asyncio.to_thread(
        raw_baseline, path, raw_dir / "registry.db", Settings().import_chunk_size
    )
    return {
        "importer": service,
        "raw_sqlite": raw,
        "ratio": round(service["rows_per_s"] / raw["rows_per_s"], 3) if raw["rows_per_s"] else None,
        "target_rows_per_s": 5000,
    }
