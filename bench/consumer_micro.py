"""The consumers without the broker: how long `EventConsumer.process_batch` takes per event
for training and notifications on SQLite (same code path as in the pipeline, records built
in memory), with statement counts, CPU time of all threads and an optional cProfile.

    python -m bench.consumer_micro --events 4000 [--profile] [--set LOG_EACH_EVENT=false]
        [--repeat 2] [--json bench/results/consumer-after.json]

`--repeat N` measures each service N times and keeps the run with the least CPU per event
(the host is shared: CPU time per event is the figure, and the lowest is the least disturbed);
`--json` writes the figures (and, with `--profile`, the top of each profile) with the host's
core count and load average.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka.structs import ConsumerRecord
from sqlalchemy import event

from shared.events.envelope import Envelope
from shared.events.registry import VolunteerRegistered
from shared.migrations import upgrade
from tools.services import SERVICES


def records(n: int) -> list[ConsumerRecord[Any, Any]]:
    out = []
    for i in range(n):
        e = VolunteerRegistered(
            volunteer_id=uuid.uuid4(),
            village_code="35.07.01.2001",
            district_code="35.07.01",
            regency_code="35.07",
            province_code="35",
            region_dataset="bench",
            status="candidate",
            registered_at=datetime.now(UTC),
            birth_year=1980,
            sex="L",
        )
        headers = Envelope(event_type=e.event_type, source="registry").to_headers()
        value = e.model_dump_json().encode()
        out.append(
            ConsumerRecord(
                e.topic,
                i % 6,
                i,
                0,
                0,
                e.key().encode(),
                value,
                None,
                36,
                len(value),
                tuple((k, v.encode()) for k, v in headers.items()),
            )
        )
    return out


async def measure(
    service: str,
    db: Path,
    n: int,
    batch: int,
    prof: bool,
    overrides: dict[str, str],
    sketch: bool = False,
) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade, SERVICES[service].migrations_dir, url)
    for k, v in overrides.items():
        os.environ[f"{SERVICES[service].env_prefix}{k}"] = v
    settings = SERVICES[service].settings(database_url=url, log_level="INFO")
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    runtime = module.create_app(settings).state.runtime
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    engine = runtime.engine if hasattr(runtime, "engine") else None
    if engine is not None:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
    recs = records(n)
    await runtime.consumer.process_batch(recs[:batch])  # warm-up (imports, caches)
    recs = recs[batch:]
    profiler = cProfile.Profile() if prof else None
    wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    statements = 0
    if profiler:
        profiler.enable()
    for i in range(0, len(recs), batch):
        if sketch:
            await batched_sketch(runtime, recs[i : i + batch])
            continue
        outcomes = await runtime.consumer.process_batch(recs[i : i + batch])
        assert set(outcomes) == {"applied"}, set(outcomes)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    main = time.thread_time() - main
    result: dict[str, Any] = {
        "service": service,
        "events": len(recs),
        "batch": batch,
        "events_per_s": round(len(recs) / wall),
        "ms_per_event_wall": round(wall * 1000 / len(recs), 3),
        "ms_per_event_cpu_all_threads": round(cpu * 1000 / len(recs), 3),
        # the event loop's thread; the rest is the database driver's thread (aiosqlite)
        "ms_per_event_cpu_main_thread": round(main * 1000 / len(recs), 3),
        "sql_statements_per_event": round(statements / len(recs), 2) if engine else None,
    }
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(30)
        result["profile"] = buf.getvalue()
    return result


async def batched_sketch(runtime: Any, recs: list[ConsumerRecord[Any, Any]]) -> None:
    """What a set-based handler costs without the consumer wrapper (training only): the
    batch's inbox rows and read-model rows as one INSERT … ON CONFLICT DO NOTHING each, rows
    as parameters of a statement compiled once (SQLAlchemy Core executemany), in one
    transaction. A sketch to size the wrapper's share, not the fix."""
    from sqlalchemy.dialects.sqlite import insert

    from services.training.db.tables import KnownVolunteer

    now = datetime.now(UTC)
    envelopes = [Envelope.from_headers(r.headers) for r in recs]
    events = [VolunteerRegistered.model_validate_json(r.value) for r in recs]
    inbox = runtime.consumer._inbox
    known = KnownVolunteer.__table__  # type: ignore[attr-defined]
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            insert(inbox).on_conflict_do_nothing(),
            [
                {
                    "consumer": "training",
                    "event_id": e.event_id,
                    "event_type": e.event_type,
                    "processed_at": now,
                }
                for e in envelopes
            ],
        )
        await session.execute(
            insert(known).on_conflict_do_nothing(),
            [
                {
                    "volunteer_id": ev.volunteer_id,
                    "village_code": ev.village_code,
                    "regency_code": ev.regency_code,
                    "province_code": ev.province_code,
                    "status": ev.status,
                    "registered_at": ev.registered_at,
                    "updated_at": now,
                }
                for ev in events
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--services", default="training,notifications")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sketch", action="store_true", help="training: set-based sketch")
    parser.add_argument("--set", action="append", default=[], help="SETTING=value (no prefix)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per service; the least CPU")
    parser.add_argument("--json", type=Path, help="write the figures (and profiles) here")
    args = parser.parse_args()
    overrides = dict(s.split("=", 1) for s in args.set)
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "events": args.events,
        "batch": args.batch,
        "overrides": overrides,
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for service in args.services.split(","):
            runs = []
            for run in range(max(1, args.repeat)):
                db = Path(tmp) / f"{service}-{run}.db"
                runs.append(
                    asyncio.run(
                        measure(
                            service,
                            db,
                            args.events,
                            args.batch,
                            args.profile,
                            overrides,
                            args.sketch,
                        )
                    )
                )
            best = min(runs, key=lambda r: r["ms_per_event_cpu_all_threads"])
            best["cpu_ms_per_event_all_runs"] = [r["ms_per_event_cpu_all_threads"] for r in runs]
            text = best.pop("profile", "")
            for r in runs:
                r.pop("profile", None)
            print(best)
            if text:
                print(text)
                best["profile_top"] = text.strip().splitlines()
            report["results"][service] = best
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
