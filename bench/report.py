"""Results: the JSON file (everything) and the markdown summary (figures against targets)."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.common import BROKER_JVM
from tools.kafka_jars import KAFKA_VERSION

PACKAGES = (
    "faststream",
    "aiokafka",
    "sqlalchemy",
    "aiosqlite",
    "fastapi",
    "uvicorn",
    "httpx",
)


def environment() -> dict[str, Any]:
    versions: dict[str, str] = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "?"
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
        "versions": versions,
        "broker": broker_description(),
        "database": "SQLite (embedded default), one file per service",
    }


def broker_description() -> str:
    """The broker every stage and its raw-aiokafka baseline run on."""
    return (
        f"Apache Kafka {KAFKA_VERSION} (KRaft, one node, JVM options {' '.join(BROKER_JVM)}; "
        "jars from Maven Central, tools/kafka_jars.py)"
    )


def _producer(raw: dict[str, Any]) -> str:
    """How the baseline produced: as registry's relay does."""
    prod = raw.get("producer")
    if not prod:
        return "acks=all"
    return (
        f"acks={prod['acks']}, linger {prod['linger_ms']} ms, batches up to "
        f"{prod['max_batch_size'] // 1024} KiB as the relay"
    )


def _v(value: Any, unit: str = "") -> str:
    return (
        "–" if value is None else f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"
    )


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def summary(results: dict[str, Any]) -> str:
    env, args = results["environment"], results["arguments"]
    out = [
        "# Benchmark summary",
        "",
        f"Run {results['started_at']} · {results['total_seconds']} s in all · "
        f"{env['cores']} cores ({env['cpu']}) · load average at start "
        f"{', '.join(f'{x:.2f}' for x in env['load_average_at_start'])}",
        "",
        "Software: "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        + f"; broker: {env['broker']}.",
        f"Database: {env['database']}"
        + ("; 1b on PostgreSQL (see there)" if results.get("pipeline_pg") else "")
        + f". Arguments: `{' '.join(args)}`.",
        "",
        "Every figure is paired with a baseline measured in the same run; ratios are what to compare "
        "between runs (other processes on this machine shift absolute figures).",
        "",
    ]
    out += _imports(results.get("imports"))
    c = results.get("consumers")
    p = results.get("pipeline")
    if p:
        raw = p.get("baseline_raw_kafka", {})
        rate = p["volunteers_per_s"] or p.get("partial_volunteers_per_s")
        out += [
            "## 1. Pipeline throughput (bulk import → registry, training read model, notifications ledger)",
            "",
            f"- {p['volunteers']:,} volunteers (province {p['province']}) uploaded to `POST /volunteers/imports`; "
            + (
                f"all three services held them after **{p['seconds']} s: {_v(p['volunteers_per_s'])} volunteers/s** end to end."
                if p["complete"]
                else f"**not complete after {p['observed_seconds']} s** (time limit); every service held at least "
                f"{min(p['counts_at_end'].values()):,} by then: **{_v(p.get('partial_volunteers_per_s'))} volunteers/s** ({p['counts_at_end']})."
            ),
            f"- Seconds until each service held all of them: {p['seconds_until_held']} (the import request returned after {p.get('import_http_seconds')} s).",
            f"- Each service's own rate (volunteers/s): {p.get('per_service_per_s')}.",
            f"- CPU seconds spent per process during the run: {p['cpu_seconds']}.",
            f"- Baseline, raw aiokafka on the same broker as the pipeline ({raw.get('partitions')} partitions, {raw.get('value_bytes')}-byte values, "
            f"{raw.get('header_bytes')} bytes of headers, {_producer(raw)}, one consumer group committing per fetch): "
            f"{_v(raw.get('messages_per_s'))} messages/s.",
            f"- **Ratio {_v(p.get('ratio_to_raw_kafka'))}** of the broker's ceiling. Target ≥ 5,000 volunteers/s: {_mark(bool(rate and rate >= 5000))}.",
            "",
        ]
    out += _pipeline_pg(results)
    out += _dispatcher(results.get("dispatcher"))
    if c:
        t, sk, n = c["training"], c["training_set_based_sketch"], c["notifications"]
        out += [
            "## Where the pipeline's time goes (consumers probed in process, same run)",
            "",
            "`EventConsumer.process_batch` fed batches of 200 `volunteer-registered` records built in memory "
            "(no broker), on a fresh SQLite file — the code path the pipeline runs:",
            "",
            "| consumer | events/s | ms per event (wall) | ms CPU per event (all threads) | SQL statements per event |",
            "|---|---|---|---|---|",
            f"| training (as built) | {t['events_per_s']} | {t['ms_per_event_wall']} | {t['ms_per_event_cpu_all_threads']} | {t['sql_statements_per_event']} |",
            f"| notifications (as built) | {n['events_per_s']} | {n['ms_per_event_wall']} | {n['ms_per_event_cpu_all_threads']} | {n['sql_statements_per_event']} |",
            f"| training, set-based sketch (one multi-row INSERT … ON CONFLICT DO NOTHING for the inbox and one for the read model per batch) | {sk['events_per_s']} | {sk['ms_per_event_wall']} | {sk['ms_per_event_cpu_all_threads']} | {sk['sql_statements_per_event']} |",
            "",
            (
                f"Every event still costs {t['sql_statements_per_event']:g}–{n['sql_statements_per_event']:g} "
                "statements, and through aiosqlite each statement is several round trips to the driver's "
                "thread (cProfile of training's main thread: about 20 resumptions of aiosqlite's `_execute` "
                "per event, the event loop mostly waiting in `epoll` for the driver thread). "
                f"The set-based sketch does the same work {_x(sk, t)}× faster."
                if t["sql_statements_per_event"] >= 1
                else "The consumers apply `volunteer-registered` set-based (one inbox claim and one or two "
                "statements per batch: commit 0a5b503, from `bench/proposals/`); before that they cost 3–4 "
                "statements per event and ran at 300 (training) and 192 (notifications) events/s "
                "(`bench/results/evidence-5k-before-set-based-consumers.json`). The sketch row is the "
                "same work without the consumer wrapper (envelope, metrics, per-event log line)."
            ),
            "",
        ]
    s = results.get("scaleout")
    if s and p:
        r1 = p["volunteers_per_s"] or p.get("partial_volunteers_per_s")
        r2 = s["volunteers_per_s"] or s.get("partial_volunteers_per_s")
        out += [
            "## 4. Scale-out (two training processes in one consumer group, same SQLite file)",
            "",
            f"Sizes: {p['volunteers']:,} volunteers with one instance (run 1), {s['volunteers']:,} with two.",
            "",
            f"- One training instance: {_v(r1)} volunteers/s; two: {_v(r2)} volunteers/s"
            + (" (incomplete run: partial rate)" if not s["complete"] else "")
            + f"; **ratio {_v(round(r2 / r1, 2) if r1 and r2 else None)}**.",
            f"- Each service's own rate (volunteers/s) with one training instance: {p.get('per_service_per_s')}; with two: {s.get('per_service_per_s')}.",
            f"- Seconds until held with two: {s['seconds_until_held']}; CPU seconds: {s['cpu_seconds']}.",
            "",
        ]
    if p:
        out += ["## 5. Peak memory during 1 (VmHWM, MB)", ""]
        out += [
            "| process | after warm-up (RSS) | peak during the import | growth |",
            "|---|---|---|---|",
        ]
        for name, peak in p["peak_rss_mb"].items():
            child = p["peak_child_rss_mb"].get(name) or 0
            extra = f" (+ import worker {child})" if child else ""
            before = p["rss_after_warmup_mb"].get(name) or 0
            out.append(f"| {name} | {before} | {peak}{extra} | {round(peak - before, 1)} |")
        out += [
            "",
            f"Warm-up was {results['arguments_parsed'].get('warmup')} volunteers; the growth from it to "
            f"{p['volunteers']:,} is what 'flat in the size of the import' is judged on.",
            "",
        ]
    lat = results.get("latency")
    if lat:
        t, n = lat["to_training"], lat["to_notifications"]
        out += [
            f"## 2. Latency ({lat['rate_per_s']:g} registrations/s over HTTP for {lat['seconds']:g} s, {lat['requests']:,} requests)",
            "",
            "| from the HTTP response to … | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|",
            f"| applied in training | {t['p50_ms']} | {t['p95_ms']} | {t['p99_ms']} | {t['max_ms']} |",
            f"| applied in notifications | {n['p50_ms']} | {n['p95_ms']} | {n['p99_ms']} | {n['max_ms']} |",
            f"| (HTTP request itself) | {lat['http']['p50_ms']} | {lat['http']['p95_ms']} | {lat['http']['p99_ms']} | {lat['http']['max_ms']} |",
            "",
            f"Achieved rate {lat['achieved_rate_per_s']}/s, {lat['errors']} errors, missing after the drain: "
            f"training {lat['missing_in_training']}, notifications {lat['missing_in_notifications']}. "
            f"Target p95 ≤ 500 ms: {_mark(_le(t['p95_ms'], 500) and _le(n['p95_ms'], 500))}.",
            "",
        ]
    a = results.get("api")
    if a:
        db, sv, bare = a["database"], a["service"], a["bare"]
        out += [
            f"## 3. API ({db['volunteers']:,} volunteers in registry's database"
            + ("" if db["volunteers"] >= 500_000 else ", **not 500,000**")
            + f"; {a['concurrency']} concurrent clients, {a['seconds_per_load']:g} s per load)",
            "",
            _fill_text(db),
            "",
            "| endpoint | service rps | service p99 ms | bare rps | bare p99 ms | ratio |",
            "|---|---|---|---|---|---|",
            f"| POST /volunteers | {sv['post']['rps']} | {sv['post']['p99_ms']} | {bare['post']['rps']} | {bare['post']['p99_ms']} | {a['ratio_post_rps']} |",
            f"| GET /volunteers (regency operator) | {sv['list']['rps']} | {sv['list']['p99_ms']} | {bare['list']['rps']} | {bare['list']['p99_ms']} | {a['ratio_list_rps']} |",
            "",
            f"Target ≥ 0.5 of the bare endpoint: POST {_mark(_ge(a['ratio_post_rps'], 0.5))}, list {_mark(_ge(a['ratio_list_rps'], 0.5))}; "
            f"list p99 ≤ 50 ms: {_mark(_le(sv['list']['p99_ms'], 50))}. Errors: service {sv['post']['errors']}/{sv['list']['errors']}, "
            f"bare {bare['post']['errors']}/{bare['list']['errors']}.",
            "",
        ]
    out += _console(results.get("console"))
    if results.get("errors"):
        out += ["## Stages that failed", ""]
        out += [f"- {stage}: `{err}`" for stage, err in results["errors"].items()] + [""]
    if results.get("notes"):
        out += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(out)


def _console(r: dict[str, Any] | None) -> list[str]:
    """Section 6: the console's pages on the demo sample data."""
    if not r:
        return []
    from bench.console_pages import table

    load = ", ".join(f"{x:.2f}" for x in r["load_average_at_start"])
    missed = ", ".join(r["missed"]) or "none"
    return [
        "## 6. Console pages (the demo sample data of `make run`, one operator at a time)",
        "",
        f"{r['requests_per_page']} requests per page after {r['warmup_per_page']} warm-up ones, "
        f"through the console's sign-in cookie; data: {r['data']['demo']} "
        f"({r['data']['volunteers']} sample PSM; a session in progress with "
        f"{r['data']['participants_in_progress']} participants). Load average at the stage's "
        f"start {load}.",
        "",
        *table(r),
        "",
        f"Target console pages p95 ≤ {r['target_p95_ms']:g} ms on the sample data: "
        f"{_mark(r['met'])} (missed: {missed}).",
        "",
    ]


def _imports(r: dict[str, Any] | None) -> list[str]:
    if not r:
        return []
    imp, raw = r["importer"], r["raw_sqlite"]
    return [
        "## 0. Bulk import into SQLite (registry's Importer, a CSV file, with the outbox events)",
        "",
        f"- {imp['rows']:,} rows in {imp['seconds']} s: **{_v(imp['rows_per_s'])} rows/s** "
        f"(registry process {imp['cpu_seconds']} CPU-s; all processes of the machine "
        f"{imp.get('machine_cpu_seconds')} CPU-s, incl. the validating workers; "
        f"{imp['outbox_events']:,} outbox events). "
        f"Target ≥ {r['target_rows_per_s']:,} rows/s: {_mark(imp['rows_per_s'] >= r['target_rows_per_s'])}.",
        f"- Baseline, the same rows already validated and prepared, inserted with the stdlib's "
        f"sqlite3 `executemany` into the same schema (chunks of the same size, one transaction "
        f"each): {_v(raw['rows_per_s'])} rows/s. **Ratio {_v(r['ratio'])}**.",
        "",
    ]


def _dispatcher(d: dict[str, Any] | None) -> list[str]:
    """The dispatcher's CPU per message (bench/dispatcher.py) against its target."""
    if not d:
        return []
    return [
        "## Dispatcher (development channel, no provider limit, SQLite, default logging)",
        "",
        f"- {d['messages']:,} welcome messages drained by `delivery.dispatch_once` in process "
        f"(batches of {d['batch']}, contacts cached): {_v(d['messages_per_s'])} messages/s, "
        f"{d['sql_statements_per_message']} SQL statements per message.",
        f"- **{d['ms_cpu_per_message']} CPU-ms per message** (all threads; event loop's "
        f"{d['ms_cpu_per_message_main_thread']}; least of runs {d.get('runs_ms_cpu_per_message')}). "
        f"Target ≤ {d['target_ms_cpu_per_message']}: {_mark(d['met'])}.",
        "",
    ]


def _pipeline_pg(results: dict[str, Any]) -> list[str]:
    """Section 1b: the pipeline on PostgreSQL, or why it did not run."""
    title = "## 1b. Pipeline throughput on PostgreSQL (one database per service, same broker setup)"
    skipped = results.get("skipped", {}).get("pipeline_pg")
    if skipped:
        return [title, "", f"**Skipped**: {skipped}.", ""]
    g = results.get("pipeline_pg")
    if not g:
        return []
    rate = g["volunteers_per_s"] or g.get("partial_volunteers_per_s")
    server = g.get("postgresql", {})
    raw = g.get("baseline_raw_kafka", {})
    p = results.get("pipeline") or {}
    sqlite_rate = p.get("volunteers_per_s") or p.get("partial_volunteers_per_s")
    out = [
        title,
        "",
        f"- PostgreSQL {server.get('server_version', '?')} at `{server.get('url', '?')}`, "
        "a fresh database per service for this run (dropped after).",
        f"- {g['volunteers']:,} volunteers (province {g['province']}) uploaded to `POST /volunteers/imports`; "
        + (
            f"all three services held them after **{g['seconds']} s: {_v(g['volunteers_per_s'])} volunteers/s** end to end."
            if g["complete"]
            else f"**not complete after {g['observed_seconds']} s** (`--pg-timeout`); every service held at least "
            f"{min(g['counts_at_end'].values()):,} by then: **{_v(g.get('partial_volunteers_per_s'))} volunteers/s** ({g['counts_at_end']})."
        ),
        f"- Seconds until each service held all of them: {g['seconds_until_held']} (the import request returned after {g.get('import_http_seconds')} s).",
        f"- Each service's own rate (volunteers/s): {g.get('per_service_per_s')}; CPU seconds per process: {g['cpu_seconds']}.",
    ]
    if raw:
        out.append(
            f"- Baseline, raw aiokafka on this stage's broker (the pipeline's) with the same number of records "
            f"({raw.get('messages'):,}, same sizes and headers as in 1): {_v(raw.get('messages_per_s'))} messages/s; "
            f"**ratio {_v(g.get('ratio_to_raw_kafka'))}**"
            + (
                f" (1 on SQLite: {_v(p['ratio_to_raw_kafka'])})."
                if p.get("ratio_to_raw_kafka")
                else "."
            )
        )
    if sqlite_rate and rate:
        against = (
            f"- Against the SQLite pipeline of 1 (same run, {p['volunteers']:,} volunteers): "
            f"{_v(rate)} / {_v(sqlite_rate)} = **{round(rate / sqlite_rate, 2)}**"
        )
        if p["volunteers"] == g["volunteers"]:
            out.append(against + " at the same size.")
        else:
            out.append(
                against + ". The sizes differ (the 10-minute budget has no room for "
                f"{p['volunteers']:,} on PostgreSQL too); a smaller import weighs the consumers' "
                "start-up more (on SQLite, earlier runs: 5,000 at 376/s, 100,000 at 583/s), so "
                "this ratio likely understates PostgreSQL; the raw-broker ratios above are each "
                "against a baseline of their own size."
            )
    return [*out, ""]


def _fill_text(db: dict[str, Any]) -> str:
    if "replicated" not in db:  # results of a run before the fill replicated in SQL
        return (
            f"Filled with the registry's Importer at {db.get('rows_per_s')} rows/s; "
            f"the listed regency {db['regency']} holds {db['in_listed_regency']:,}."
        )
    return (
        f"Filled in {db['seconds']} s: {db['imported']:,} volunteers imported with the "
        f"registry's Importer ({db['import_seconds']} s, {_v(db['import_rows_per_s'])} rows/s: "
        "encrypted NIK, NIK hash, search key, outbox event), "
        f"{db['replicated']:,} replicated from them in SQL ({db['replicate_seconds']} s with "
        "rebuilding the indexes and ANALYZE): new id and NIK hash, the village the generator "
        "gives that row number (so regencies keep their share), registered a day earlier per "
        "copy; replicas have no outbox row (published outbox rows are kept a week, then deleted). Every outbox row "
        f"is marked published before the load. The listed regency {db['regency']} holds "
        f"{db['in_listed_regency']:,}."
    )


def _x(a: dict[str, Any], b: dict[str, Any]) -> str:
    return str(round(a["events_per_s"] / b["events_per_s"], 1)) if b["events_per_s"] else "–"


def _le(v: float | None, limit: float) -> bool | None:
    return None if v is None else v <= limit


def _ge(v: float | None, limit: float) -> bool | None:
    return None if v is None else v >= limit


def write(
    results: dict[str, Any], out_dir: Path, *, stamp: str, summary_name: str = "summary.md"
) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    md_path = out_dir / summary_name
    md_path.write_text(summary(results))
    return json_path, md_path
