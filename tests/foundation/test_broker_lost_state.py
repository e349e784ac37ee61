"""A broker that lost its state (log directory wiped, cluster restored from nothing), on the
real Apache Kafka: readiness says which topics are missing, the relay holds its rows until
the topics exist again, a committed offset beyond the log end is reported loudly, and an
operator re-publishes a window of published events that consumers then apply once."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import select

from services.registry.db.tables import outbox
from shared.events.registry import VOLUNTEERS_TOPIC
from shared.kafka import ensure_topics
from tests.builders import auth_headers, volunteer_payload
from tests.support import (
    eventually,
    fresh_database,
    header,
    migrate,
    read_topic,
    running,
    settings_for,
)

pytestmark = [pytest.mark.broker, pytest.mark.fault]


def lose_state(broker) -> None:
    """Stop the node, delete its log and start it again: an empty cluster on the same port."""
    broker.shutdown()
    broker.wipe()
    broker.start()


async def outbox_rows(runtime):
    async with runtime.read_sessionmaker() as s:
        return (await s.execute(select(outbox).order_by(outbox.c.id))).all()


def log_records(capsys) -> list[dict]:
    records = []
    for line in capsys.readouterr().err.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


async def test_wiped_broker_fails_readiness_and_relay_holds_rows_until_topics_are_recreated(
    broker, database_url, capsys
):
    await migrate("registry", database_url)
    settings = settings_for(
        "registry",
        database_url=database_url,
        bootstrap=broker.bootstrap,
        log_format="json",
        ready_topics_cache_s=0.2,
    )
    async with running("registry", settings) as reg:

        async def ready_status() -> tuple[int, dict]:
            r = await reg.client.get("/ready")
            return r.status_code, r.json()["checks"]

        await eventually(lambda: _is(ready_status, 200), message="ready once its topics exist")
        lose_state(broker)

        _, checks = await eventually(
            lambda: _is(ready_status, 503), timeout=20, message="not ready on the empty broker"
        )
        assert checks["broker"] == "ok"  # a ping alone would have said ready
        assert checks["topics"].startswith("error: missing ")
        assert VOLUNTEERS_TOPIC in checks["topics"]

        r = await reg.client.post(
            "/volunteers", json=volunteer_payload(), headers=auth_headers(settings)
        )
        assert r.status_code == 201, r.text
        volunteer_id = r.json()["id"]

        async def failed_and_pending():
            rows = await outbox_rows(reg.runtime)
            return rows if rows and rows[-1].attempts >= 1 else None

        rows = await eventually(failed_and_pending, timeout=25, message="relay tried and failed")
        assert rows[-1].published_at is None  # never marked published for an unknown topic

        lines: list[dict] = []

        async def relay_named_the_topic():
            lines.extend(log_records(capsys))
            return [line for line in lines if line.get("event", "").startswith("topic unknown")]

        unknown = await eventually(
            relay_named_the_topic, timeout=10, message="the relay says which topic is unknown"
        )
        assert unknown[0]["topic"] == VOLUNTEERS_TOPIC and unknown[0]["level"] == "error"
        raw = "\n".join(json.dumps(line) for line in lines)
        assert "Siti Aminah" not in raw and "081234567890" not in raw

        await ensure_topics(settings, reg.runtime.topics())  # the operator recreates topics

        async def published():
            rows = await outbox_rows(reg.runtime)
            return all(row.published_at is not None for row in rows)

        await eventually(published, timeout=25, message="row published after topics returned")
        records = await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=1, settle=0.5)
        assert {r.key.decode() for r in records} == {volunteer_id}
        assert {header(r, "ce_id") for r in records} == {str(rows[-1].event_id)}
        await eventually(lambda: _is(ready_status, 200), message="ready again")


async def _is(check, status: int):
    got = await check()
    return got if got[0] == status else None


async def commit_offsets(bootstrap: str, group: str, offsets: dict) -> None:
    """Commit `offsets` ({TopicPartition: offset}) for `group`, as a stale group would have."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def test_committed_offset_beyond_log_end_is_reported_and_consumer_reads_from_earliest(
    broker, tmp_path, capsys
):
    from services.training.db.tables import KnownVolunteer
    from tests.foundation.helpers import RawProducer, registered_event

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    await migrate("training", database_url)
    settings = settings_for(
        "training", database_url=database_url, bootstrap=broker.bootstrap, log_format="json"
    )
    partitions = settings.topic_partitions
    await ensure_topics(settings, {VOLUNTEERS_TOPIC: partitions})
    # The group once read far more than this log holds: a log restored from nothing while
    # the group's offsets survived (or a topic deleted and re-created under it).
    stale = {TopicPartition(VOLUNTEERS_TOPIC, p): 1000 for p in range(partitions)}
    await commit_offsets(broker.bootstrap, "training", stale)
    async with RawProducer(broker.bootstrap) as producer:
        before = [registered_event() for _ in range(3)]
        for e in before:
            await producer.send_event(e)

        async with running("training", settings) as tr:
            rt = tr.runtime

            def beyond(p: int) -> float:
                return (
                    rt.metrics.registry.get_sample_value(
                        "psm_consumer_offset_beyond_log_end_total",
                        {"consumer": "training", "topic": VOLUNTEERS_TOPIC, "partition": str(p)},
                    )
                    or 0.0
                )

            async def known(volunteer_id):
                async with rt.read_sessionmaker() as s:
                    return await s.get(KnownVolunteer, volunteer_id)

            async def all_known(events):
                return all([await known(e.volunteer_id) for e in events])

            await eventually(
                lambda: all_known(before), timeout=20, message="events already on the log applied"
            )
            after = registered_event()  # a new event, produced after the check
            await producer.send_event(after)
            await eventually(lambda: all_known([after]), message="new event applied")

            assert [beyond(p) for p in range(partitions)] == [1.0] * partitions

    lines = [line for line in log_records(capsys) if "beyond the log end" in line.get("event", "")]
    assert {(line["topic"], line["partition"]) for line in lines} == {
        (VOLUNTEERS_TOPIC, p) for p in range(partitions)
    }
    assert all(line["level"] == "error" and line["committed_offset"] == 1000 for line in lines)


def metric_total(metrics, name: str, **labels: str) -> float:
    """Sum of a counter's samples whose labels include `labels`."""
    return sum(
        sample.value
        for family in metrics.registry.collect()
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


async def read_as_new_group(bootstrap: str, topic: str, *, expect: int) -> list:
    """What an agency subscribing now with a new consumer group reads (then 1 s of quiet)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"agency-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:

        async def read_some():
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
            return len(records) >= expect

        await eventually(read_some, timeout=20, message=f"{expect} records on {topic}")
        quiet_until = time.monotonic() + 1.0
        while time.monotonic() < quiet_until:  # anything more would be a duplicate
            await read_some()
        return records
    finally:
        await consumer.stop()


async def republish_with_cli(service: str, database_url: str, since: datetime) -> str:
    """`python -m tools.cli outbox republish <service> --since …`, as an operator runs it."""
    from typer.testing import CliRunner

    from tools.cli import app

    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        ["outbox", "republish", service, "--since", since.isoformat()],
        env={f"{service.upper()}_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    return result.output


async def test_republished_window_reaches_a_new_group_once_and_training_applies_each_once(
    broker, database_url, tmp_path
):
    from services.training.db.tables import inbox as training_inbox

    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    async with fresh_database(backend, tmp_path) as training_url:
        await migrate("registry", database_url)
        await migrate("training", training_url)
        reg_settings = settings_for(
            "registry", database_url=database_url, bootstrap=broker.bootstrap
        )
        tr_settings = settings_for(
            "training", database_url=training_url, bootstrap=broker.bootstrap
        )
        since = datetime.now(UTC) - timedelta(seconds=1)
        async with running("registry", reg_settings) as reg, running("training", tr_settings) as tr:

            def training_counts() -> tuple[float, float]:
                m = tr.runtime.metrics
                return (
                    metric_total(m, "psm_events_handled_total", outcome="applied"),
                    metric_total(m, "psm_inbox_duplicates_skipped_total"),
                )

            for _ in range(3):
                r = await reg.client.post(
                    "/volunteers", json=volunteer_payload(), headers=auth_headers(reg_settings)
                )
                assert r.status_code == 201, r.text

            async def all_published():
                rows = await outbox_rows(reg.runtime)
                return rows if all(row.published_at for row in rows) else None

            rows = await eventually(all_published, message="registrations published")
            event_ids = {str(row.event_id) for row in rows}
            await eventually(
                lambda: _true(training_counts()[0] == len(rows)), message="training applied"
            )

            lose_state(broker)
            await ensure_topics(reg_settings, reg.runtime.topics() | tr.runtime.topics())

            output = await republish_with_cli("registry", database_url, since)
            assert f"{len(rows)} outbox rows" in output

            records = await read_as_new_group(broker.bootstrap, VOLUNTEERS_TOPIC, expect=len(rows))
            ids = [header(r, "ce_id") for r in records]
            assert sorted(ids) == sorted(event_ids)  # every event, exactly once

            n = len(rows)
            await eventually(
                lambda: committed_is(broker.bootstrap, "training", n),
                timeout=25,
                message="training read and committed the re-published events",
            )
            applied, skipped = training_counts()
            assert applied == n and skipped >= n  # each one skipped by the inbox

            await republish_with_cli("registry", database_url, since)  # an operator, twice
            await eventually(
                lambda: committed_is(broker.bootstrap, "training", 2 * n),
                timeout=25,
                message="training read and committed the second copies",
            )
            applied, skipped = training_counts()
            assert applied == n and skipped >= 2 * n
            async with tr.runtime.read_sessionmaker() as s:
                inbox_ids = (await s.execute(select(training_inbox.c.event_id))).scalars().all()
            assert sorted(str(i) for i in inbox_ids) == sorted(event_ids)


async def _true(value: bool) -> bool:
    return value


async def committed_is(bootstrap: str, group: str, expected: int) -> bool:
    """Has `group` committed exactly `expected` records of the volunteers topic?"""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(o.offset for tp, o in offsets.items() if tp.topic == VOLUNTEERS_TOPIC) == expected
