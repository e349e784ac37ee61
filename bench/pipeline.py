"""1, 4, 5: volunteers through the bulk importer until registry, training's read model and
notifications' ledger all hold them; the raw-aiokafka ceiling on the same broker; memory."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import BenchStack, Sampler, auth, cpu_seconds, peak_rss_mb, rss_mb
from bench.samples.generate import write
from shared.events.registry import VOLUNTEERS_TOPIC
from shared.kafka import topic_config
from tools.services import SERVICES

COUNTS = {
    "registry": "SELECT count(*) FROM volunteers",
    # the registry relay's progress: events acknowledged by the broker
    "registry_published": "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL",
    "training": "SELECT count(*) FROM known_volunteers",
    "notifications": "SELECT count(*) FROM notifications",
}
WARMUP_PROVINCE = "52"  # NTB: NIKs never collide with the measured province's


def _upload(stack: BenchStack, path: Path) -> dict[str, Any]:
    with path.open("rb") as body:
        r = httpx.post(
            stack.url("registry") + "/volunteers/imports",
            params={"filename": path.name},
            content=body,
            headers={**auth(), "Content-Type": "text/csv"},
            timeout=None,  # noqa: S113 -- the measured upload is the whole import: no deadline on it
        )
    r.raise_for_status()
    return dict(r.json())


async def _counts(stack: BenchStack) -> dict[str, int]:
    return {name: await stack.count(name.split("_")[0], sql) for name, sql in COUNTS.items()}


async def _until_all_hold(
    stack: BenchStack, target: int, started: float, timeout: float, interval: float = 0.5
) -> tuple[dict[str, float | None], dict[str, int]]:
    """Seconds since `started` at which each service first held `target` rows."""
    reached: dict[str, float | None] = dict.fromkeys(COUNTS)
    counts: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        counts = await _counts(stack)
        now = time.monotonic() - started
        for name, n in counts.items():
            if reached[name] is None and n >= target:
                reached[name] = round(now, 2)
        if all(v is not None for v in reached.values()):
            break
        await asyncio.sleep(interval)
    return reached, counts


async def sample_event(bootstrap: str) -> tuple[int, list[tuple[str, bytes]]]:
    """Size of one real volunteer-registered record (value) and its headers."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(VOLUNTEERS_TOPIC) or {0}
        tps = [TopicPartition(VOLUNTEERS_TOPIC, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=1)
            for records in batch.values():
                rec = records[0]
                return len(rec.value or b""), list(rec.headers or [])
    finally:
        await consumer.stop()
    return 300, []


async def _until_led(
    admin: AIOKafkaAdminClient, topic: str, partitions: int, timeout: float = 15
) -> None:
    """Apache Kafka acknowledges CreateTopics before every partition has a leader in its
    metadata; a consumer started earlier logs NotLeaderForPartition and retries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [described] = await admin.describe_topics([topic])
        parts = described.get("partitions") or []
        if len(parts) == partitions and all(p.get("leader", -1) >= 0 for p in parts):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"baseline topic {topic} has no leader for every partition")


async def raw_kafka(
    bootstrap: str, n: int, *, value_size: int, headers: list[tuple[str, bytes]], partitions: int
) -> dict[str, Any]:
    """The ceiling: N same-size keyed records produced and consumed by one group committing
    after each fetch, concurrently, through the same broker.

    The producer is configured as registry's relay (acks=all, its linger and batch size) and
    the topic is created explicitly (Apache Kafka here does not auto-create topics) with the
    public topics' configuration and partition count.
    """
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    settings = SERVICES["registry"].settings()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        created = await admin.create_topics(
            [NewTopic(topic, partitions, 1, topic_configs=topic_config(VOLUNTEERS_TOPIC))]
        )
        errors = [(name, code, msg) for name, code, msg in created.topic_errors if code]
        if errors:
            raise RuntimeError(f"cannot create the baseline topic: {errors}")
        await _until_led(admin, topic, partitions)
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer_config = {
        "acks": "all",
        "linger_ms": settings.kafka_linger_ms,
        "max_batch_size": settings.kafka_max_batch_bytes,
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **producer_config)
    await consumer.start()
    await producer.start()
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            await consumer.getmany(timeout_ms=200)
        value = b"x" * value_size
        started = time.monotonic()

        async def produce() -> float:
            pending = []
            for _ in range(n):
                pending.append(
                    await producer.send(topic, value, key=uuid.uuid4().bytes, headers=headers)
                )
                if len(pending) >= 2000:
                    await asyncio.gather(*pending)
                    pending.clear()
            await asyncio.gather(*pending)
            return time.monotonic() - started

        async def consume() -> float:
            seen = 0
            while seen < n:
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                seen += sum(len(r) for r in batch.values())
                if batch:
                    await consumer.commit()
            return time.monotonic() - started

        produced_s, consumed_s = await asyncio.wait_for(
            asyncio.gather(produce(), consume()), timeout=max(120, n / 500)
        )
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": n,
        "value_bytes": value_size,
        "partitions": partitions,
        "producer": producer_config,
        "produce_seconds": round(produced_s, 2),
        "seconds": round(consumed_s, 2),
        "messages_per_s": round(n / consumed_s),
    }


async def pipeline(
    workdir: Path,
    n: int,
    *,
    province: str = "35",
    training_instances: int = 1,
    warmup: int = 200,
    timeout: float = 600,
    baseline: bool = True,
    extra_env: dict[str, str] | None = None,
    database_urls: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Import N volunteers over HTTP into a fresh stack; time until all three hold them."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    gen_started = time.monotonic()
    main_file = await asyncio.to_thread(
        write, workdir / f"volunteers-{province}-{n}.csv", province, n
    )
    warm_file = await asyncio.to_thread(write, workdir / "warmup.csv", WARMUP_PROVINCE, warmup)
    generated_s = time.monotonic() - gen_started

    stack = BenchStack(workdir / "stack", extra_env=extra_env or {}, database_urls=database_urls)
    result: dict[str, Any] = {
        "volunteers": n,
        "province": province,
        "training_instances": training_instances,
        "database": stack.backend,
        "generate_seconds": round(generated_s, 1),
    }
    with stack:
        phase = time.monotonic()
        await asyncio.to_thread(stack.start)
        phases = {"stack_start": round(time.monotonic() - phase, 1)}
        phase = time.monotonic()
        for i in range(2, training_instances + 1):
            await asyncio.to_thread(stack.start_instance, "training", f"training-{i}")
        # Warm-up: consumers joined and assigned, first connections made, caches filled.
        if warmup:
            await asyncio.to_thread(_upload, stack, warm_file)
            reached, counts = await _until_all_hold(stack, warmup, time.monotonic(), 120)
            if None in reached.values():
                raise RuntimeError(f"warm-up did not reach every service: {counts}")
        phases["extra_instances_and_warmup"] = round(time.monotonic() - phase, 1)
        pids = stack.pids()
        rss_before = {name: rss_mb(pid) for name, pid in pids.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        started = time.monotonic()
        with Sampler(pids) as sampler:

            async def timed_upload() -> tuple[dict[str, Any], float]:
                report = await asyncio.to_thread(_upload, stack, main_file)
                return report, round(time.monotonic() - started, 2)

            upload = asyncio.create_task(timed_upload())
            reached, counts = await _until_all_hold(stack, warmup + n, started, timeout)
            report, import_http_s = await upload  # the import returns before consumers finish
        elapsed = time.monotonic() - started
        done = all(v is not None for v in reached.values())
        end_to_end = max(v for v in reached.values() if v is not None) if done else None
        result.update(
            {
                "imported": report["imported"],
                "complete": done,
                "counts_at_end": {k: v - warmup for k, v in counts.items()},
                "seconds_until_held": reached,
                "import_http_seconds": import_http_s,
                "seconds": end_to_end,
                "volunteers_per_s": round(n / end_to_end) if end_to_end else None,
                # when the time limit cut the run short: what every service held by then
                "partial_volunteers_per_s": None
                if done
                else round(max(0, min(counts.values()) - warmup) / elapsed),
                "observed_seconds": round(elapsed, 2),
                # each service's own rate: N over the time it took, or what it held at the end
                "per_service_per_s": {
                    name: round(n / at) if at else round(max(0, counts[name] - warmup) / elapsed)
                    for name, at in reached.items()
                },
                "cpu_seconds": {
                    name: round(cpu_seconds(pid) - cpu_before[name], 1)
                    for name, pid in pids.items()
                },
                "peak_rss_mb": {name: peak_rss_mb(pid) for name, pid in pids.items()},
                "rss_after_warmup_mb": rss_before,
                "peak_child_rss_mb": sampler.child_peak_mb,
                "import_report": {
                    k: report.get(k) for k in ("rows", "imported", "invalid", "duplicates")
                },
            }
        )
        phase = time.monotonic()
        if baseline:
            size, headers = await sample_event(stack.broker.bootstrap)
            for proc in list(stack.stack.processes):  # the broker to itself, as the pipeline had
                stack.stack.stop_service(proc, kill=True)
            for name in list(stack.extra):
                stack.extra.pop(name).kill()
            partitions = SERVICES["registry"].settings().topic_partitions
            raw = await raw_kafka(
                stack.broker.bootstrap, n, value_size=size, headers=headers, partitions=partitions
            )
            raw["header_bytes"] = sum(len(k) + len(v) for k, v in headers)
            result["baseline_raw_kafka"] = raw
            rate = result["volunteers_per_s"] or result["partial_volunteers_per_s"]
            if rate:
                result["ratio_to_raw_kafka"] = round(rate / raw["messages_per_s"], 3)
        phases["baseline"] = round(time.monotonic() - phase, 1)
        result["phase_seconds"] = phases
    await stack.dispose()
    return result
