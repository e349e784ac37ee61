"""Measure bulk-import throughput into a fresh SQLite database (rows/s, peak memory).

    python -m bench.samples.measure_import --rows 100000 [--province 35]

Reusable by the benchmark harness: `measure(rows, province, workdir)` returns the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.samples.generate import write
from services.registry.config import Settings
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor
from services.registry.service.imports import Importer
from shared.clock import SYSTEM_CLOCK
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade
from tools.services import SERVICES

MIGRATIONS = SERVICES["registry"].migrations_dir


async def _run(settings: Settings, path: Path) -> dict[str, Any]:
    engine = make_engine(settings.database_url)
    try:
        importer = Importer(
            make_sessionmaker(engine),
            actor=Actor("bench", "national_admin", "national"),
            vault=NikVault(settings),
            settings=settings,
            clock=SYSTEM_CLOCK,
        )
        machine = _machine_cpu_seconds()
        started, cpu = time.perf_counter(), time.process_time()
        record = await importer.run_file(path, filename=path.name)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        machine = _machine_cpu_seconds() - machine
        async with engine.connect() as conn:
            events = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        return {
            "rows": record.rows,
            "imported": record.imported,
            "outbox_events": events,
            "seconds": round(elapsed, 2),
            "rows_per_s": round(record.rows / elapsed),
            # CPU time is what a loaded machine does not distort (other processes' share).
            "cpu_seconds": round(cpu, 2),
            "rows_per_cpu_s": round(record.rows / cpu),
            # Every process of the machine (this one and the validating workers), from
            # /proc/stat: on an otherwise idle machine, the import's whole CPU cost.
            "machine_cpu_seconds": round(machine, 2),
            "rows_per_machine_cpu_s": round(record.rows / machine) if machine > 0 else None,
        }
    finally:
        await engine.dispose()


def _machine_cpu_seconds() -> float:
    """CPU-seconds all processes have used since boot (busy time of /proc/stat's cpu line)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(rows: int, province: str, workdir: Path, *, fmt: str = "csv") -> dict[str, Any]:
    path = write(workdir / f"volunteers.{fmt}", province, rows)
    url = f"sqlite+aiosqlite:///{workdir / 'registry.db'}"
    upgrade(MIGRATIONS, url)
    result = asyncio.run(_run(Settings(database_url=url), path))
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--province", default="35")
    parser.add_argument("--format", default="csv", choices=["csv", "xlsx"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(measure(args.rows, args.province, Path(tmp), fmt=args.format))


if __name__ == "__main__":
    main()
