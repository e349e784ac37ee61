"""Test helpers: databases on SQLite and PostgreSQL, a real broker, services in-process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import upgrade
from shared.runtime import Runtime
from tools.services import SERVICES

PG_ADMIN_URL = os.environ.get(
    "PSM_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
T = TypeVar("T")

# Fast settings for tests: short session timeouts so groups join and rebalance quickly.
FAST = {
    "consumer_session_timeout_ms": 6000,
    "consumer_heartbeat_interval_ms": 500,
    "consumer_retry_backoff_s": 0.05,
    "consumer_retry_backoff_max_s": 0.2,
    "relay_poll_interval_s": 0.1,
    "relay_backoff_max_s": 0.5,
    "kafka_request_timeout_ms": 10000,
    "relay_publish_timeout_s": 5.0,
    "log_format": "console",
}


async def postgres_available() -> bool:
    engine = create_async_engine(PG_ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A new empty database URL on `backend` ('sqlite' or 'postgresql'), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"psm_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def migrate(service: str, database_url: str) -> None:
    await asyncio.to_thread(upgrade, SERVICES[service].migrations_dir, database_url)


def settings_for(service: str, *, database_url: str, bootstrap: str, **overrides: Any) -> Any:
    return SERVICES[service].settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        environment="test",
        **{**FAST, **overrides},
    )


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def running(
    service: str, settings: Any, *, app: FastAPI | None = None
) -> AsyncIterator[RunningService]:
    """Start a service in-process with its real lifespan (broker, relay, consumers)."""
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    app = app or module.create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{service}") as client:
            yield RunningService(app=app, client=client)


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    message: str = "",
) -> T:
    """Poll `check` until it returns a truthy value (no sleeps standing in for conditions)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last  # type: ignore[no-any-return]
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {message} (last value: {last!r})")


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 15.0, settle: float = 0.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` from the beginning, without a consumer group.

    Waits until at least `expect` records arrived, then `settle` seconds more (to catch
    records that should NOT be there, such as duplicates).
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions = await partitions_of(consumer, topic, deadline)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while time.monotonic() < deadline and len(records) < expect:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            batch = await consumer.getmany(timeout_ms=100)
            for recs in batch.values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def partitions_of(
    consumer: AIOKafkaConsumer, topic: str, deadline: float
) -> list[TopicPartition]:
    """The topic's partitions, asking again until the metadata lists them: a broker that
    just came back (resumed, restarted) can answer a first metadata request without them."""
    from shared.faststream_adapter import refresh_metadata

    while True:
        found = consumer.partitions_for_topic(topic) or set()
        if found or time.monotonic() >= deadline:
            if not found:
                raise AssertionError(f"the broker lists no partitions of {topic}")
            return [TopicPartition(topic, p) for p in sorted(found)]
        await refresh_metadata(consumer)
        if not consumer.partitions_for_topic(topic):
            await asyncio.sleep(0.1)


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None
