"""Measure region-scoped listing and counting with 500,000 volunteers in SQLite.

    python -m bench.samples.measure_listing [--rows 500000]

Fills a fresh database with synthetic rows in SQL (fast), then times the queries the API
runs for one regency operator and for a national admin. Reusable by the benchmark harness.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from services.registry.service import queries
from services.registry.service.access import Actor
from shared.db import make_engine, make_read_sessionmaker
from shared.migrations import upgrade
from tools.services import SERVICES


def build(db: Path, rows: int) -> None:
    upgrade(SERVICES["registry"].migrations_dir, f"sqlite+aiosqlite:///{db}")
    con = sqlite3.connect(db)
    # rows spread over 38 provinces x 14 regencies x 7 districts (~940 per regency at 500k)
    con.execute(
        """
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM n WHERE i < ?)
    INSERT INTO volunteers (id, nik_hash, full_name, name_search, village_code, district_code, regency_code, province_code,
      region_dataset, status, registered_at, updated_at, consent_data_processing, consent_contact)
    SELECT lower(hex(randomblob(16))), lower(hex(randomblob(32))), 'Nama ' || i, 'nama ' || i,
      printf('%02d.%02d.%02d.%04d', 11 + (i % 38), 1 + ((i / 38) % 14), 1 + (i % 7), 1001 + (i % 9)),
      printf('%02d.%02d.%02d', 11 + (i % 38), 1 + ((i / 38) % 14), 1 + (i % 7)),
      printf('%02d.%02d', 11 + (i % 38), 1 + ((i / 38) % 14)),
      printf('%02d', 11 + (i % 38)), 'x',
      CASE i % 5 WHEN 0 THEN 'candidate' ELSE 'active' END,
      datetime('2020-01-01', '+' || (i % 1500) || ' days', '+' || (i % 86400) || ' seconds') || '.000000+00:00',
      '2024-01-01 00:00:00.000000+00:00', 1, 1
    FROM n""",
        (rows - 1,),
    )
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()


CASES: list[tuple[str, queries.VolunteerFilter, dict[str, Any]]] = [
    ("list regency page 1", queries.VolunteerFilter(), {}),
    ("list regency page 10", queries.VolunteerFilter(), {"offset": 450}),
    ("list regency status", queries.VolunteerFilter(status="candidate"), {}),
    ("list regency name", queries.VolunteerFilter(name="nama 1"), {}),
    ("list regency by name", queries.VolunteerFilter(), {"sort": "full_name"}),
]


async def run(db: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    sm = make_read_sessionmaker(engine)
    async with sm() as s:
        one = await s.execute(text("SELECT regency_code, count(*) FROM volunteers GROUP BY 1"))
        reg, n = one.all()[0]
    print("regency", reg, "rows", n)
    actor = Actor("bench", "regency_operator", reg)
    for label, f, kw in CASES:
        async with sm() as s:
            await queries.list_volunteers(s, actor, f, **kw)
            t = time.perf_counter()
            for _ in range(5):
                total, _items = await queries.list_volunteers(s, actor, f, **kw)
            print(f"{label}: {(time.perf_counter() - t) / 5 * 1000:.1f} ms (total {total})")
    async with sm() as s:
        t = time.perf_counter()
        for _ in range(5):
            await queries.count_by_region(s, actor, queries.VolunteerFilter(), by="district")
        print(f"count regency by district: {(time.perf_counter() - t) / 5 * 1000:.1f} ms")
        nat = Actor("bench", "national_admin", "national")
        t = time.perf_counter()
        await queries.count_by_region(s, nat, queries.VolunteerFilter(), by="province")
        print(f"national count by province: {(time.perf_counter() - t) * 1000:.1f} ms")
        t = time.perf_counter()
        total, _ = await queries.list_volunteers(s, nat, queries.VolunteerFilter())
        print(f"national list page 1: {(time.perf_counter() - t) * 1000:.1f} ms (total {total})")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="registry listing/counting at scale")
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "registry.db"
        started = time.time()
        build(db, args.rows)
        print(f"built {args.rows} rows in {time.time() - started:.0f} s")
        asyncio.run(run(db))


if __name__ == "__main__":
    main()
