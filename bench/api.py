"""3: rps and p99 of POST /volunteers and of a regency-scoped GET /volunteers with a large
database, against the bare endpoint (bench/bare_app.py) on the same database file."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import BenchStack, auth, count, peak_rss_mb, percentile
from bench.latency import unique_payload
from bench.samples.generate import valid_row, villages_of
from services.registry.config import Settings
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor
from services.registry.service.imports import Importer
from services.registry.service.spreadsheets import COLUMNS
from shared.clock import SYSTEM_CLOCK
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade
from tools.broker import free_port
from tools.procs import die_with_parent
from tools.services import ROOT, SERVICES

REGENCY = "35.07"  # Kabupaten Malang: the regency of Jawa Timur with the most villages


#: volunteers' columns the replication sets itself; every other column is copied as imported
_SET = ("id", "nik_hash", "village_code", "district_code", "regency_code", "province_code")
_SHIFTED = ("registered_at", "updated_at")  # the replicas are older: copy k, k days earlier


async def fill(
    db: Path,
    target: int,
    *,
    province: str = "35",
    imported: int = 20_000,
    chunk: int = 50_000,
) -> dict[str, Any]:
    """`target` volunteers in registry's database: the first `imported` through the
    registry's Importer (genuine rows: encrypted NIK, NIK hash, search key, outbox event),
    the rest replicated from them in SQL (see `replicate`); then every outbox row is marked
    published, so that the relay does not publish them during the measurement, and the
    database is ANALYZEd."""
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade, SERVICES["registry"].migrations_dir, url)
    settings = Settings(database_url=url)
    engine = make_engine(url)
    villages = villages_of(province)
    done, started = 0, time.monotonic()
    first = min(target, imported)
    try:
        while done < first:
            size = min(chunk, first - done)
            path = db.parent / "fill.csv"
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(valid_row(i, villages) for i in range(done, done + size))
            importer = Importer(
                make_sessionmaker(engine),
                actor=Actor("bench", "national_admin", "national"),
                vault=NikVault(settings),
                settings=settings,
                clock=SYSTEM_CLOCK,
            )
            record = await importer.run_file(path, filename=path.name)
            path.unlink()
            if not record.imported:
                raise RuntimeError(
                    f"the fill's import refused every row: {record.errors_csv[:500]}"
                )
            done += record.imported
    finally:
        await engine.dispose()
    import_s = time.monotonic() - started
    phase = time.monotonic()
    replicated = await asyncio.to_thread(replicate, db, target - done, villages)
    replicate_s = time.monotonic() - phase
    elapsed = time.monotonic() - started
    return {
        "volunteers": done + replicated,
        "imported": done,
        "replicated": replicated,
        "seconds": round(elapsed, 1),
        "import_seconds": round(import_s, 1),
        "import_rows_per_s": round(done / import_s) if import_s else None,
        "replicate_seconds": round(replicate_s, 1),  # with marking published and ANALYZE
    }


def replicate(db: Path, n: int, villages: tuple[str, ...]) -> int:
    """Add `n` volunteers copied in SQL from those in `db` (the imported ones), then mark
    every outbox row published and ANALYZE.

    Copy k of source row j gets a new id (a random UUID v4), a random unique 64-hex
    `nik_hash` under the source's hash key id (`h1:…`), the village that `valid_row` gives
    the global row number g (imported + the replicas before it: `villages[g %
    len(villages)]`, so every village and regency keeps the share the Importer alone would
    have given it) with its district, regency and province codes, and
    `registered_at`/`updated_at` k days earlier than the source's.
    Everything else is the source row's: `nik_encrypted` (it still decrypts, to the source's
    NIK), names and search key, birth date, status. Replicas get no outbox row: published
    events are kept `outbox_retention_hours` (24) by the relay, so a registry of 500,000
    holds only its recent ones (here: the imported slice's).
    """
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        # a bulk load on a private file: no WAL (every page would be written twice), no
        # fsync; registry's engine sets WAL again when it connects
        for pragma in (
            "journal_mode=MEMORY",
            "synchronous=OFF",
            "cache_size=-262144",
            "temp_store=MEMORY",
        ):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN IMMEDIATE")
        base = conn.execute("SELECT count(*) FROM volunteers").fetchone()[0]
        done = 0
        # the migrations' secondary indexes are dropped and built again after the load
        # (exactly as created: their SQL from sqlite_master); the primary key and the unique
        # constraint (id, nik_hash) stay and are checked row by row
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name = 'volunteers'"
        ).fetchall()
        if n > 0 and base:
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            cols = [r[1] for r in conn.execute("PRAGMA table_info(volunteers)")]
            copied = [c for c in cols if c not in _SET + _SHIFTED]
            conn.execute(
                "CREATE TEMP TABLE bench_villages (i INTEGER PRIMARY KEY, village TEXT, "
                "district TEXT, regency TEXT, province TEXT)"
            )
            conn.executemany(
                "INSERT INTO bench_villages VALUES (?, ?, ?, ?, ?)",
                [(i, v, v.rsplit(".", 1)[0], v[:5], v[:2]) for i, v in enumerate(villages)],
            )
            # the source rows, numbered 0.. in insertion order
            conn.execute(
                "CREATE TEMP TABLE bench_src AS SELECT row_number() OVER (ORDER BY rowid) - 1 "
                "AS jj, * FROM volunteers"
            )
            conn.execute("CREATE UNIQUE INDEX temp.bench_src_jj ON bench_src (jj)")
            src = conn.execute("SELECT count(*) FROM bench_src").fetchone()[0]
            shifted = ", ".join(
                f"strftime('%Y-%m-%d %H:%M:%S', s.{c}, :days) || substr(s.{c}, 20)"
                for c in _SHIFTED
            )
            copy = 0
            while done < n:
                copy += 1
                rows = min(src, n - done)
                params = {
                    "rows": rows,
                    "offset": base + done,
                    "n": len(villages),
                    "days": f"-{copy} days",
                }
                # Column names and SQL fragments are this module's constants; values are bound.
                conn.execute(
                    f"INSERT INTO volunteers ({', '.join(_SET + _SHIFTED + tuple(copied))}) "  # noqa: S608
                    f"SELECT {_uuid4()}, substr(s.nik_hash, 1, instr(s.nik_hash, ':')) "
                    "|| lower(hex(randomblob(32))), v.village, v.district, "
                    f"v.regency, v.province, {shifted}, "
                    + ", ".join(f"s.{c}" for c in copied)
                    + " FROM bench_src s JOIN bench_villages v ON v.i = (:offset + s.jj) % :n "
                    "WHERE s.jj < :rows ORDER BY s.jj",
                    params,
                )
                done += rows
            for table in ("bench_src", "bench_villages"):
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for _, sql in indexes:
                conn.execute(sql)
        conn.execute(
            "UPDATE outbox SET published_at = ? WHERE published_at IS NULL",
            (_now(),),
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return done


def _now() -> str:
    """Now as SQLAlchemy stores a naive DateTime on SQLite (the relay's published_at)."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _uuid4() -> str:
    """SQL: a random UUID v4 as 32 hex digits (how the Uuid column stores it on SQLite)."""
    return (
        "lower(hex(randomblob(6))) || '4' || substr(lower(hex(randomblob(2))), 2) || "
        "substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(8))), 2)"
    )


async def load(
    call: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    seconds: float,
    concurrency: int,
    ok: int,
    offset: int = 0,
) -> dict[str, Any]:
    """Closed loop: `concurrency` clients each send the next request when the last replied."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(offset, offset + 10_000_000))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(5):  # warm-up
            await call(client, next(counter))
        started = time.monotonic()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                t0 = time.monotonic()
                r = await call(client, next(counter))
                if r.status_code == ok:
                    latencies.append(time.monotonic() - t0)
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": _ms(percentile(latencies, 50)),
        "p99_ms": _ms(percentile(latencies, 99)),
    }


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 1)


def _start_bare(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (db.parent / "bare.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.bare_app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**__import__("os").environ, "BENCH_DATABASE_URL": f"sqlite+aiosqlite:///{db}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bare app exited; see {db.parent / 'bare.log'}")
        try:
            if httpx.get(base + "/docs", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("bare app not ready")


async def api(
    workdir: Path,
    *,
    volunteers: int = 500_000,
    imported: int = 20_000,
    seconds: float = 10,
    concurrency: int = 8,
) -> dict[str, Any]:
    stack = BenchStack(workdir / "stack")
    db = stack.db("registry")
    db.parent.mkdir(parents=True, exist_ok=True)
    # the listed regency's province (not --province): REGENCY must be among the villages
    filled = await fill(db, volunteers, province=REGENCY[:2], imported=imported)
    # REGENCY is this module's constant, not input.
    in_regency = count(db, f"SELECT count(*) FROM volunteers WHERE regency_code = '{REGENCY}'")  # noqa: S608
    writer, operator = auth(), auth("regency_operator", REGENCY)
    result: dict[str, Any] = {
        "database": {**filled, "in_listed_regency": in_regency, "regency": REGENCY}
    }
    with stack:
        await asyncio.to_thread(stack.start, ("registry",))
        base = stack.url("registry")

        def post(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.post(base + "/volunteers", json=unique_payload(i), headers=writer)

        def get(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.get(base + "/volunteers", params={"limit": 50}, headers=operator)

        service: dict[str, Any] = {
            "post": await load(post, seconds=seconds, concurrency=concurrency, ok=201),
            "list": await load(get, seconds=seconds, concurrency=concurrency, ok=200),
            "peak_rss_mb": peak_rss_mb(stack.pids()["registry"]),
        }
    proc, bare_base = await asyncio.to_thread(_start_bare, db)
    try:

        def bare_post(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.post(bare_base + "/volunteers", json=unique_payload(i))

        def bare_get(c: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
            return c.get(bare_base + "/volunteers", params={"regency": REGENCY, "limit": 50})

        bare: dict[str, Any] = {
            "post": await load(bare_post, seconds=seconds, concurrency=concurrency, ok=201),
            "list": await load(bare_get, seconds=seconds, concurrency=concurrency, ok=200),
        }
    finally:
        proc.terminate()
        proc.wait(10)
    result.update(
        {
            "seconds_per_load": seconds,
            "concurrency": concurrency,
            "service": service,
            "bare": bare,
            "ratio_post_rps": _ratio(service["post"]["rps"], bare["post"]["rps"]),
            "ratio_list_rps": _ratio(service["list"]["rps"], bare["list"]["rps"]),
        }
    )
    return result


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None
