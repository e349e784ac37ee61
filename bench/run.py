"""`make bench`: every measurement with its same-run baseline; results in bench/results/.

python -m bench.run                      # full size (under 10 minutes on 2 cores)
python -m bench.run --quick              # tiny sizes: proves the harness works
python -m bench.run --volunteers 20000 --only pipeline,latency
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import pg, report
from bench.api import api
from bench.console_pages import console_pages
from bench.consumer_micro import measure
from bench.dispatcher import dispatcher
from bench.imports import imports
from bench.latency import latency
from bench.pipeline import pipeline

STAGES = (
    "imports",
    "consumers",
    "dispatcher",
    "pipeline",
    "pipeline_pg",
    "scaleout",
    "latency",
    "api",
    "console",
)
#: what `make bench` runs: all of them (pipeline_pg is skipped, with a line in the summary,
#: when PostgreSQL is not reachable)
DEFAULT_STAGES = STAGES
RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="PSM platform benchmarks")
    p.add_argument("--volunteers", type=int, default=100_000, help="pipeline size (1 and 4)")
    p.add_argument("--province", default="35", help="province of the imported volunteers")
    p.add_argument(
        "--pipeline-timeout", type=float, default=200, help="s; report the partial rate after"
    )
    p.add_argument(
        "--scaleout-volunteers",
        type=int,
        help="scale-out size (default: a third of --volunteers, to fit in 10 minutes)",
    )
    p.add_argument("--import-rows", type=int, default=100_000, help="bulk import size (0)")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--rate", type=float, default=50, help="registrations/s for 2")
    p.add_argument("--latency-seconds", type=float, default=60)
    p.add_argument("--api-volunteers", type=int, default=500_000)
    p.add_argument(
        "--api-import",
        type=int,
        default=20_000,
        help="of --api-volunteers, how many the Importer makes (the rest: copied in SQL)",
    )
    p.add_argument("--api-seconds", type=float, default=8, help="s per endpoint load in 3")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument(
        "--console-requests", type=int, default=30, help="measured requests per console page"
    )
    p.add_argument("--consumer-events", type=int, default=4000, help="in-process consumer probe")
    p.add_argument(
        "--dispatcher-messages", type=int, default=5000, help="dispatcher probe's backlog"
    )
    p.add_argument("--pg-volunteers", type=int, default=15_000, help="pipeline_pg size")
    p.add_argument(
        "--pg-timeout", type=float, default=120, help="s; pipeline_pg's partial rate after"
    )
    p.add_argument(
        "--only", default=",".join(DEFAULT_STAGES), help=f"comma list of {', '.join(STAGES)}"
    )
    p.add_argument(
        "--quick", action="store_true", help="tiny sizes (a smoke test, not a measurement)"
    )
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--summary", default="summary.md", help="summary file name in --out")
    args = p.parse_args(argv)
    if args.quick:
        args.volunteers, args.warmup, args.pipeline_timeout = 300, 20, 60
        args.consumer_events, args.pg_volunteers, args.scaleout_volunteers = 400, 300, 300
        args.dispatcher_messages = 300
        args.import_rows = 2000
        args.pg_timeout = 60
        args.rate, args.latency_seconds = 20, 2
        args.api_volunteers, args.api_import, args.api_seconds = 1000, 200, 1
        args.console_requests = 5
    return args


async def consumers(work: Path, events: int) -> dict[str, Any]:
    """The bottleneck probe: per-event cost of the consumers' batch path, in process, for
    training and notifications, and for training a set-based sketch of the same work."""
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    for name, service, sketch in (
        ("training", "training", False),
        ("training_set_based_sketch", "training", True),
        ("notifications", "notifications", False),
    ):
        out[name] = await measure(service, work / f"{name}.db", events, 200, False, {}, sketch)
    return out


async def run_stage(
    stage: str, args: argparse.Namespace, work: Path, results: dict[str, Any]
) -> None:
    if stage == "imports":
        results[stage] = await imports(work / stage, args.import_rows, province=args.province)
    elif stage == "consumers":
        results[stage] = await consumers(work / stage, args.consumer_events)
    elif stage == "dispatcher":
        results[stage] = await dispatcher(work / stage, args.dispatcher_messages, repeat=2)
    elif stage == "pipeline_pg":
        server = await pg.server_version()
        if server is None:
            results.setdefault("skipped", {})[stage] = (
                f"PostgreSQL not reachable at {pg.shown_url()} (PSM_BENCH_PG_URL)"
            )
            return
        async with pg.databases() as urls:
            results[stage] = await pipeline(
                work / stage,
                args.pg_volunteers,
                province=args.province,
                warmup=args.warmup,
                timeout=args.pg_timeout,
                baseline=True,  # raw aiokafka at the same size on this stage's broker
                database_urls=urls,
            )
        results[stage]["postgresql"] = {"server_version": server, "url": pg.shown_url()}
    elif stage in ("pipeline", "scaleout"):
        scaleout = args.scaleout_volunteers or max(1, args.volunteers // 3)
        results[stage] = await pipeline(
            work / stage,
            scaleout if stage == "scaleout" else args.volunteers,
            province=args.province,
            training_instances=2 if stage == "scaleout" else 1,
            warmup=args.warmup,
            timeout=args.pipeline_timeout,
            baseline=stage == "pipeline",
        )
    elif stage == "latency":
        results[stage] = await latency(work / stage, rate=args.rate, seconds=args.latency_seconds)
    elif stage == "console":
        results[stage] = await console_pages(work / stage, requests=args.console_requests)
    else:
        results[stage] = await api(
            work / stage,
            volunteers=args.api_volunteers,
            imported=args.api_import,
            seconds=args.api_seconds,
            concurrency=args.concurrency,
        )


async def main(
    args: argparse.Namespace,
    argv: list[str],
    on_stage: Callable[[dict[str, Any]], object] | None = None,
) -> dict[str, Any]:
    stages = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise SystemExit(f"unknown stage(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": argv,
        "arguments_parsed": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
        },
        "environment": report.environment(),
        "timings": {},
        "notes": [
            "The bottleneck found with this harness (one SQL statement per event per step in the "
            "consumers), its evidence and the fix now applied in 0a5b503 (set-based consumers: "
            "training's consumer 300 → 1,507 events/s, notifications' 192 → 925, end to end at "
            "5,000 volunteers 124 → 376/s): bench/proposals/README.md.",
            "A pipeline that would not finish within --pipeline-timeout (--pg-timeout on "
            "PostgreSQL) is stopped there (make bench must fit in 10 minutes); its rate is then "
            "what every service held by then over the elapsed time ('partial').",
            "Scale-out: both training processes use the same SQLite file (WAL, BEGIN IMMEDIATE), "
            "so their write transactions are serialised by the database.",
            "API: the imported volunteers' outbox rows are marked published before the "
            "measurement, so that registry's relay does not publish them during it. "
            "The load generator (httpx) runs on the same 2 cores as the server, for the service "
            "and the bare endpoint alike.",
            "Latency: registry runs with RELAY_POLL_INTERVAL_S=0.2 (tools/stack.py), the relay is "
            "also woken after each commit.",
        ],
    }
    with tempfile.TemporaryDirectory(prefix="psm-bench-") as tmp:
        work = Path(tmp)
        for stage in STAGES:
            if stage not in stages:
                continue
            t0 = time.monotonic()
            print(f"[bench] {stage} …", flush=True)
            try:
                await run_stage(stage, args, work, results)
            except Exception as exc:  # one broken stage must not cost the others' figures
                results.setdefault("errors", {})[stage] = f"{type(exc).__name__}: {exc}"[:2000]
                print(f"[bench] {stage} FAILED: {exc!r}", file=sys.stderr, flush=True)
            results["timings"][stage] = round(time.monotonic() - t0, 1)
            print(f"[bench] {stage} done in {results['timings'][stage]} s", flush=True)
            results["total_seconds"] = round(time.monotonic() - started, 1)
            if on_stage is not None:  # what is done so far survives an interrupted run
                on_stage(results)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    return results


def cli(argv: list[str] | None = None) -> Path:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def save(partial: dict[str, Any]) -> None:
        report.write(partial, args.out, stamp=stamp, summary_name=args.summary)

    results = asyncio.run(main(args, argv, save))
    json_path, md_path = report.write(results, args.out, stamp=stamp, summary_name=args.summary)
    print(md_path.read_text())
    print(f"[bench] results: {json_path}, {md_path}")
    return json_path


if __name__ == "__main__":  # the guard the importer's spawned worker process needs
    cli()
