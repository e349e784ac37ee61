"""The services as real processes: killed relays and consumers lose nothing and apply nothing twice."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid

import httpx
import pytest

from shared.events.registry import VOLUNTEERS_TOPIC
from tests.builders import auth_headers, volunteer_payload
from tests.foundation.helpers import RawProducer, registered_event
from tests.support import eventually, header, read_topic
from tools.broker import free_port
from tools.services import SERVICE_NAMES, SERVICES
from tools.stack import Stack

pytestmark = [pytest.mark.broker, pytest.mark.e2e, pytest.mark.fault]


@pytest.fixture
def stack(tmp_path, broker):
    s = Stack(
        var_dir=tmp_path,
        broker_port=None,
        ports={n: free_port() for n in SERVICES},
        log_format="json",
    )
    s.broker = broker
    s.extra_env = {"PSM_QUIET": "1"}
    try:
        yield s
    finally:
        for name in list(s.processes):
            s.stop_service(name, kill=True)


def rows(db_path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def registry_settings():
    return SERVICES["registry"].settings()


async def test_relay_killed_after_commit_publishes_after_restart(stack, broker):
    await asyncio.to_thread(stack.migrate)
    stack.start_service("registry")
    stack.wait_ready("registry")
    broker.pause()  # the relay cannot publish: the event exists only in the committed outbox
    try:
        r = await asyncio.to_thread(
            httpx.post,
            stack.url("registry") + "/volunteers",
            json=volunteer_payload(),
            headers=auth_headers(registry_settings()),
            timeout=10,
        )
        assert r.status_code == 201, r.text
        stack.stop_service("registry", kill=True)  # SIGKILL: no graceful flush
    finally:
        broker.resume()
    db = stack.var_dir / "registry.db"
    assert rows(db, "select count(*) from outbox where published_at is null") == [(1,)]
    assert await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=1, timeout=2) == []

    stack.start_service("registry")
    stack.wait_ready("registry")
    records = await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=1, timeout=20)
    assert [rec.key.decode() for rec in records] == [r.json()["id"]]
    await eventually(
        lambda: _async(rows(db, "select count(*) from outbox where published_at is null") == [(0,)])
    )


async def _async(value):
    return value


async def test_consumer_killed_mid_stream_resumes_without_loss_or_duplicate_effect(stack, broker):
    await asyncio.to_thread(stack.migrate)
    await asyncio.to_thread(stack.create_topics)
    db = stack.var_dir / "training.db"
    events = [registered_event() for _ in range(120)]
    async with RawProducer(broker.bootstrap) as producer:
        for e in events[:60]:
            await producer.send_event(e)
        stack.start_service("training")
        stack.wait_ready("training")

        async def some_applied():
            return rows(db, "select count(*) from known_volunteers")[0][0] >= 10

        await eventually(some_applied, timeout=30)
        stack.stop_service("training", kill=True)  # SIGKILL mid-stream: offsets may lag effects
        for e in events[60:]:
            await producer.send_event(e)
    stack.start_service("training")
    stack.wait_ready("training")

    async def all_applied():
        return rows(db, "select count(*) from known_volunteers")[0][0] == len(events)

    await eventually(all_applied, timeout=60, message="all events applied after restart")
    # SQLite stores UUIDs as 32 hex digits; uuid.UUID reads either spelling
    ids = {uuid.UUID(r[0]) for r in rows(db, "select volunteer_id from known_volunteers")}
    assert ids == {e.volunteer_id for e in events}
    assert rows(db, "select count(*) from inbox where consumer = 'training'") == [(len(events),)]
    assert (
        await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC + ".dlq", expect=1, timeout=0.5) == []
    )


async def test_registration_over_http_reaches_training_and_notifications_processes(stack, broker):
    await asyncio.to_thread(stack.start)
    payload = volunteer_payload()
    request_id = f"req-{uuid.uuid4()}"
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            stack.url("registry") + "/volunteers",
            json=payload,
            headers={**auth_headers(registry_settings()), "x-request-id": request_id},
        )
        assert r.status_code == 201, r.text
        vid = r.json()["id"]

        async def in_training():
            resp = await http.get(
                f"{stack.url('training')}/volunteers/{vid}",
                headers=auth_headers(registry_settings()),
            )
            return resp.status_code == 200 and resp.json()

        async def in_ledger():
            resp = await http.get(
                stack.url("notifications") + "/notifications",
                params={"volunteer_id": vid},
                headers=auth_headers(registry_settings()),
            )
            return resp.status_code == 200 and resp.json()

        assert (await eventually(in_training, timeout=30))["regency_code"] == "32.76"
        notes = await eventually(in_ledger, timeout=30)
        items = notes["items"] if isinstance(notes, dict) else notes
        assert any(n["recipient_id"] == vid for n in items)

    records = await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=1)
    assert header(records[0], "ce_correlationid") == request_id
    logs = {n: (stack.var_dir / f"{n}.log").read_text() for n in SERVICE_NAMES}
    assert request_id in logs["training"] + logs["notifications"]  # correlation reaches consumers
    for text in logs.values():  # personal data never reaches a log line
        assert payload["phone"] not in text and payload["full_name"] not in text
        if "nik" in payload:
            assert payload["nik"] not in text
