"""The summary: the broker it ran on, the baseline's producer, and the PostgreSQL section
(the figures when the stage ran, one line when skipped)."""

from __future__ import annotations

from typing import Any

from bench.common import BROKER_JVM
from bench.report import environment, summary
from tools.kafka_jars import KAFKA_VERSION


def _results(**stages: Any) -> dict[str, Any]:
    return {
        "started_at": "2026-11-22T00:00:00+00:00",
        "total_seconds": 1.0,
        "arguments": [],
        "arguments_parsed": {"warmup": 200},
        "environment": {
            "cores": 2,
            "cpu": "x",
            "load_average_at_start": [0.0, 0.0, 0.0],
            "versions": {"python": "3.11"},
            "broker": "Apache Kafka 9.9.9 (KRaft, one node)",
            "database": "SQLite",
        },
        "notes": [],
        **stages,
    }


def _pipeline(n: int, rate: int, raw: int) -> dict[str, Any]:
    return {
        "volunteers": n,
        "province": "35",
        "complete": True,
        "seconds": round(n / rate, 2),
        "volunteers_per_s": rate,
        "counts_at_end": {},
        "seconds_until_held": {},
        "import_http_seconds": 1.0,
        "per_service_per_s": {},
        "cpu_seconds": {},
        "peak_rss_mb": {},
        "peak_child_rss_mb": {},
        "rss_after_warmup_mb": {},
        "baseline_raw_kafka": {"messages": n, "messages_per_s": raw},
        "ratio_to_raw_kafka": round(rate / raw, 3),
    }


def test_skipped_postgresql_is_one_clear_line():
    text = summary(_results(skipped={"pipeline_pg": "PostgreSQL not reachable at pg://x"}))
    assert "## 1b. Pipeline throughput on PostgreSQL" in text
    assert "**Skipped**: PostgreSQL not reachable at pg://x." in text


def test_postgresql_pipeline_against_its_baseline_and_sqlite():
    pg = {
        **_pipeline(15_000, 300, 12_000),
        "postgresql": {"server_version": "15.20", "url": "pg://x"},
    }
    text = summary(_results(pipeline=_pipeline(100_000, 600, 13_000), pipeline_pg=pg))
    assert "PostgreSQL 15.20" in text
    assert "300 volunteers/s" in text
    assert "**ratio 0.025** (1 on SQLite: 0.046)" in text
    assert "300 / 600 = **0.5**" in text


def test_summary_names_the_apache_kafka_the_run_used_with_its_jvm_options():
    env = environment()
    text = summary({**_results(), "environment": env})

    assert f"Apache Kafka {KAFKA_VERSION} (KRaft, one node, JVM options" in text
    assert " ".join(BROKER_JVM) in text
    assert "tansu" not in text.lower() and "calfkit" not in text.lower()
    assert not any("calfkit" in name for name in env["versions"])


def test_baseline_is_described_as_produced_like_the_relay_on_the_same_broker():
    p = _pipeline(1_000, 500, 10_000)
    p["baseline_raw_kafka"] |= {
        "partitions": 6,
        "producer": {"acks": "all", "linger_ms": 10, "max_batch_size": 512 * 1024},
    }
    text = summary(_results(pipeline=p))

    assert "raw aiokafka on the same broker as the pipeline (6 partitions" in text
    assert "acks=all, linger 10 ms, batches up to 512 KiB as the relay" in text
