"""The example agency subscriber, against a real (Apache Kafka) broker with events we produce."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from typer.testing import CliRunner

from shared.events.base import Event
from shared.events.envelope import Envelope
from shared.events.registry import VOLUNTEERS_TOPIC, VolunteerRegistered, VolunteerStatusChanged
from tools.subscriber import Filters, SubscriberError, app, check_group, consume, in_region

FAST_JOIN = ["--session-timeout-ms", "6000"]


def registered(regency: str) -> VolunteerRegistered:
    province = regency.split(".")[0]
    return VolunteerRegistered(
        volunteer_id=uuid.uuid4(),
        village_code=f"{regency}.01.1001",
        district_code=f"{regency}.01",
        regency_code=regency,
        province_code=province,
        region_dataset="2025",
        registered_at=datetime.now(UTC),
    )


def status_changed(regency: str) -> VolunteerStatusChanged:
    return VolunteerStatusChanged(
        volunteer_id=uuid.uuid4(),
        old_status="candidate",
        new_status="active",
        province_code=regency.split(".")[0],
        regency_code=regency,
        changed_at=datetime.now(UTC),
    )


async def produce(bootstrap: str, records: list[tuple[bytes, dict[str, str]]]) -> None:
    """Create the volunteers topic (6 partitions) and write raw records to it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(VOLUNTEERS_TOPIC, 6, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(
                VOLUNTEERS_TOPIC,
                value,
                key=uuid.uuid4().bytes,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
    finally:
        await producer.stop()


def record_of(event: Event) -> tuple[bytes, dict[str, str]]:
    envelope = Envelope(event_type=event.event_type, source="registry", correlation_id="req-1")
    return event.model_dump_json().encode(), envelope.to_headers()


def lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_region_prefix_matches_whole_code_segments():
    depok = registered("32.76").model_dump(mode="json")
    assert in_region(depok, "32") and in_region(depok, "32.76")
    assert not in_region(depok, "3") and not in_region(depok, "32.7")
    assert not in_region(depok, "35")
    assert not in_region({"volunteer_id": "x", "changed_fields": ["phone"]}, "32")


@pytest.mark.parametrize("group", ["registry", "training", "Notifications", "training-replay", ""])
def test_subscriber_refuses_a_group_of_a_service(group):
    with pytest.raises(SubscriberError):
        check_group(group)
    result = CliRunner().invoke(app, ["--group", group or " ", "--max-events", "1"])
    assert result.exit_code == 2
    assert "error:" in result.stderr


def test_subscriber_rejects_an_unknown_event_type():
    result = CliRunner().invoke(app, ["--group", "bps.statistik", "--type", "volunteer-born"])
    assert result.exit_code == 2
    assert "unknown event type" in result.stderr and "volunteer-registered" in result.stderr


@pytest.mark.broker
def test_subscriber_prints_valid_events_of_the_chosen_type_and_region(broker):
    depok, surabaya = registered("32.76"), registered("35.78")
    broken = record_of(registered("32.76"))
    missing_codes = json.loads(broken[0])
    del missing_codes["regency_code"], missing_codes["village_code"]
    asyncio.run(
        produce(
            broker.bootstrap,
            [
                record_of(depok),
                record_of(surabaya),
                record_of(status_changed("32.76")),
                (json.dumps(missing_codes).encode(), broken[1]),
                (b'{"no": "envelope"}', {}),
            ],
        )
    )
    args = ["--bootstrap", broker.bootstrap, "--group", "dinsos.jabar", *FAST_JOIN]
    args += ["--type", "volunteer-registered", "--region", "32", "--idle-timeout", "1"]
    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    [line] = lines(result.stdout)
    assert line["event_id"] and line["event_type"] == "volunteer-registered"
    assert line["payload"]["volunteer_id"] == str(depok.volunteer_id)
    assert line["validated"] is True and line["correlation_id"] == "req-1"
    assert line["topic"] == VOLUNTEERS_TOPIC and line["source"] == "registry"
    assert "regency_code: missing" in result.stderr  # field name, never the value
    assert "missing envelope headers" in result.stderr
    assert "delivered 1, filtered 2, invalid 2" in result.stderr


@pytest.mark.broker
async def test_subscriber_resumes_its_group_and_rereads_from_the_beginning(broker):
    events = [registered("32.76") for _ in range(3)]
    await produce(broker.bootstrap, [record_of(e) for e in events])
    seen: dict[str, list[str]] = {"first": [], "resumed": [], "again": []}

    def collect(run: str):  # type: ignore[no-untyped-def]
        async def sink(line: dict[str, Any]) -> None:
            seen[run].append(line["payload"]["volunteer_id"])

        return sink

    common: dict[str, Any] = {
        "bootstrap": broker.bootstrap,
        "group": "bps.statistik",
        "topics": [VOLUNTEERS_TOPIC],
        "session_timeout_ms": 6000,
    }
    await consume(sink=collect("first"), max_events=2, **common)
    await consume(sink=collect("resumed"), idle_timeout_s=1.0, **common)
    await consume(sink=collect("again"), from_beginning=True, idle_timeout_s=1.0, **common)

    ids = {str(e.volunteer_id) for e in events}
    assert len(seen["first"]) == 2
    assert set(seen["first"]) | set(seen["resumed"]) == ids
    assert not set(seen["first"]) & set(seen["resumed"]), "a resumed group re-delivered"
    assert sorted(seen["again"]) == sorted(ids)


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/events", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.broker
def test_subscriber_forwards_events_to_a_webhook(broker, webhook):
    url, received = webhook
    event = status_changed("32.76")
    asyncio.run(produce(broker.bootstrap, [record_of(event)]))
    args = ["--bootstrap", broker.bootstrap, "--group", "bnpb.relawan", *FAST_JOIN]
    result = CliRunner().invoke(app, [*args, "--webhook", url, "--max-events", "1"])

    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == []
    [posted] = received
    assert posted["event_type"] == "volunteer-status-changed"
    assert posted["payload"]["volunteer_id"] == str(event.volunteer_id)


def test_filters_default_to_everything():
    assert Filters() == Filters(frozenset(), None)
