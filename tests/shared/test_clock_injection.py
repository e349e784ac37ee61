"""The platform reads business time from the service's clock, never from the wall clock.

Outbox, relay, inbox and dead letters run here on SQLite with a `FrozenClock` set far from
today, with no broker: the relay sends through a stand-in that acknowledges (or fails) at
once, and the consumer's dead letters go to a broker stand-in that records them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import FrozenClock
from shared.consumer import EventConsumer, EventContext
from shared.db import make_engine, make_read_sessionmaker, make_sessionmaker
from shared.events.envelope import Envelope
from shared.events.registry import VolunteerRegistered
from shared.inbox import define_inbox
from shared.metrics import ServiceMetrics
from shared.outbox import as_utc, define_outbox, stage_event
from shared.relay import OutboxRelay, backoff
from shared.settings import ServiceSettings
from tests.foundation.helpers import registered_event

T0 = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)  # years away from the wall clock's now


@dataclass
class Db:
    settings: ServiceSettings
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    metadata: MetaData


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Db]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'clock.db'}"
    # A short publish timeout: after a failed send the relay asks an absent broker why.
    settings = ServiceSettings(database_url=url, relay_publish_timeout_s=0.2)
    metadata = MetaData()
    define_outbox(metadata)
    define_inbox(metadata)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield Db(settings, make_sessionmaker(engine), make_read_sessionmaker(engine), metadata)
    finally:
        await engine.dispose()


class Sender:
    """Stands in for the relay's producer: acknowledges every record at once, or fails."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.failing = False

    async def __call__(
        self, topic: str, key: bytes, value: bytes, headers: dict[str, str]
    ) -> asyncio.Future[Any]:
        if self.failing:
            raise ConnectionError("broker unreachable")
        self.sent.append(headers)
        acknowledged: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


def _relay(
    db: Db, clock: FrozenClock, send: Sender, metrics: ServiceMetrics | None = None
) -> OutboxRelay:
    return OutboxRelay(
        sessionmaker=db.sessionmaker,
        read_sessionmaker=db.read_sessionmaker,
        outbox=db.metadata.tables["outbox"],
        send=send,
        settings=db.settings,
        metrics=metrics or ServiceMetrics("test"),
        clock=clock,
    )


async def _stage(db: Db, *, now: datetime) -> None:
    async with db.sessionmaker() as session, session.begin():
        await stage_event(
            session, db.metadata.tables["outbox"], registered_event(), source="test", now=now
        )


async def _outbox_row(db: Db) -> Any:
    async with db.read_sessionmaker() as session:
        return (await session.execute(select(db.metadata.tables["outbox"]))).one()


async def test_a_staged_event_carries_the_time_it_was_staged_at(db: Db):
    await _stage(db, now=T0)
    assert as_utc((await _outbox_row(db)).created_at) == T0


async def test_the_relay_stamps_published_at_with_its_clock(db: Db):
    await _stage(db, now=T0)
    clock, send = FrozenClock(T0 + timedelta(minutes=5)), Sender()

    assert await _relay(db, clock, send).publish_pending() == 1

    row = await _outbox_row(db)
    assert as_utc(row.published_at) == T0 + timedelta(minutes=5)
    assert datetime.fromisoformat(send.sent[0]["ce_time"]) == T0, "the event's time travels"


async def test_a_failed_row_is_due_again_after_a_backoff_counted_on_the_clock(db: Db):
    await _stage(db, now=T0)
    clock, send = FrozenClock(T0), Sender()
    relay = _relay(db, clock, send)
    send.failing = True
    assert await relay.publish_pending() == 0
    delay = timedelta(
        seconds=backoff(1, db.settings.relay_poll_interval_s, db.settings.relay_backoff_max_s)
    )
    assert as_utc((await _outbox_row(db)).next_attempt_at) == T0 + delay

    send.failing = False
    clock.advance(delay / 2)
    assert await relay.publish_pending() == 0, "not due yet by the clock"
    clock.advance(delay)
    assert await relay.publish_pending() == 1


async def test_backlog_age_and_retention_are_measured_on_the_clock(db: Db):
    await _stage(db, now=T0)
    clock = FrozenClock(T0 + timedelta(seconds=90))
    metrics = ServiceMetrics("test")
    relay = _relay(db, clock, Sender(), metrics)

    await relay.update_backlog_gauges()
    assert metrics.registry.get_sample_value("psm_outbox_oldest_pending_age_seconds") == 90.0

    await relay.publish_pending()  # published at T0 + 90 s
    clock.advance(timedelta(minutes=30))
    assert await relay.delete_published(older_than=timedelta(hours=1)) == 0
    clock.advance(timedelta(hours=1))
    assert await relay.delete_published(older_than=timedelta(hours=1)) == 1


class RecordingBroker:
    """Stands in for FastStream's broker: stores what the dead-letter writer publishes."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, value: bytes, *, topic: str, **_: Any) -> None:
        self.published.append((topic, json.loads(value)))


def _consumer(db: Db, clock: FrozenClock, broker: RecordingBroker) -> EventConsumer:
    consumer = EventConsumer(
        name="test",
        broker=broker,  # type: ignore[arg-type]
        sessionmaker=db.sessionmaker,
        inbox=db.metadata.tables["inbox"],
        settings=db.settings,
        metrics=ServiceMetrics("test"),
        clock=clock,
    )

    @consumer.handles(VolunteerRegistered)
    async def on_registered(event: VolunteerRegistered, ctx: EventContext) -> None:
        return None

    return consumer


def _record(value: bytes, headers: dict[str, str]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=VolunteerRegistered.topic,
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


async def test_the_inbox_records_when_an_event_was_processed_by_the_clock(db: Db):
    event = registered_event()
    headers = Envelope(event_type=event.event_type, source="registry", time=T0).to_headers()
    clock = FrozenClock(T0 + timedelta(hours=2))
    consumer = _consumer(db, clock, RecordingBroker())

    assert await consumer.process(_record(event.model_dump_json().encode(), headers)) == "applied"

    async with db.read_sessionmaker() as session:
        processed_at = (
            await session.execute(select(db.metadata.tables["inbox"].c.processed_at))
        ).scalar_one()
    assert as_utc(processed_at) == T0 + timedelta(hours=2)


async def test_a_dead_letter_says_when_it_failed_by_the_clock(db: Db):
    broker = RecordingBroker()
    consumer = _consumer(db, FrozenClock(T0), broker)
    headers = Envelope(event_type=VolunteerRegistered.event_type, source="registry").to_headers()

    assert await consumer.process(_record(b"{not json", headers)) == "dead_lettered"

    ((topic, letter),) = broker.published
    assert topic == f"{VolunteerRegistered.topic}.dlq"
    assert datetime.fromisoformat(letter["failed_at"]) == T0


def test_an_envelope_without_ce_time_takes_the_readers_now():
    headers = {"ce_id": "0190a4d1-0000-7000-8000-000000000001", "ce_type": "t", "ce_source": "s"}
    assert Envelope.from_headers(headers, now=T0).time == T0
