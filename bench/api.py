"""3: rps and p99 of POST /volunteers and of a regency-scoped GET /volunteers with a large
database, against the bare endpoint (bench/bare_app.py) on the same database file."""

from __future__ import annotations

import asyncio
import csv
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
from services.registry.config import Settings
from services.registry.nik_vault import NikVault
from services.registry.samples.generate import valid_row, villages_of
from services.registry.service.access import Actor
from services.registry.service.imports import Importer
from services.registry.service.spreadsheets import COLUMNS
from shared.db import make_engine, make_sessionmaker
from shared.migrations import upgrade
from tools.procs import die_with_parent
from tools.services import ROOT, SERVICES
from tools.tansu import free_port

REGENCY = "35.07"  # Kabupaten Malang: the regency of Jawa Timur with the most villages


async def fill(
    db: Path, target: int, *, province: str = "35", budget_s: float = 300, chunk: int = 50_000
) -> dict[str, Any]:
    """Import up to `target` volunteers with the registry's Importer (in this process, in
    files of `chunk` rows) until the time budget is spent; then mark their outbox rows
    published so the relay does not publish them during the measurement."""
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade, SERVICES["registry"].migrations_dir, url)
    settings = Settings(database_url=url)
    engine = make_engine(url)
    villages = villages_of(province)
    done, started = 0, time.monotonic()
    try:
        while done < target and time.monotonic() - started < budget_s:
            size = min(chunk, target - done)
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
            )
            record = await importer.run_file(path, filename=path.name)
            done += record.imported
            path.unlink()
        async with engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(
                text("UPDATE outbox SET published_at = :now WHERE published_at IS NULL"),
                {"now": datetime.now(UTC).replace(tzinfo=None)},
            )
    finally:
        await engine.dispose()
    elapsed = time.monotonic() - started
    return {
        "volunteers": done,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(done / elapsed) if elapsed else None,
    }


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
    fill_budget_s: float = 300,
    seconds: float = 10,
    concurrency: int = 8,
) -> dict[str, Any]:
    stack = BenchStack(workdir / "stack")
    db = stack.db("registry")
    db.parent.mkdir(parents=True, exist_ok=True)
    filled = await fill(db, volunteers, budget_s=fill_budget_s)
    in_regency = count(db, f"SELECT count(*) FROM volunteers WHERE regency_code = '{REGENCY}'")
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
