"""The history check of the fault tests: what registry accepted against what reached the others.

A fault test drives a bulk import through the real stack, injects a fault while the events
flow, lets everything settle, then reads the three databases directly (SQLite or PostgreSQL,
through SQLAlchemy's async engines):

* registry: the ids of the volunteers it accepted (committed rows of `volunteers`);
* training: its read model `known_volunteers`, count per volunteer id;
* notifications: its delivery ledger `notifications`, the welcome message
  (`registration-received`) count per recipient id.

Every accepted id must appear exactly once in both; anything else is lost, doubled or a
phantom (an effect for a volunteer registry never committed).
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.samples.generate import valid_row, villages_of
from services.notifications.domain.templates import REGISTRATION_RECEIVED
from services.registry.service.spreadsheets import COLUMNS
from shared.events.registry import VOLUNTEERS_TOPIC
from tests.support import partitions_of

PROVINCE = "52"  # NTB: about 1,100 villages, so rows spread over many regencies
CONSUMERS = ("training", "notifications")  # the consumer groups of registry.volunteers


def volunteers_csv(count: int, *, start: int = 0, province: str = PROVINCE) -> bytes:
    """A CSV of `count` valid volunteers, rows `start` … `start + count - 1` of the sample
    generator: files built with disjoint ranges never share a NIK."""
    villages = villages_of(province)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for i in range(start, start + count):
        writer.writerow(valid_row(i, villages))
    return out.getvalue().encode()


def _uuid(value: Any) -> uuid.UUID:
    """SQLite stores UUIDs as 32 hex digits, PostgreSQL as uuid: one spelling for both."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass(frozen=True)
class Effects:
    """One consumer's effects per volunteer id, against registry's accepted ids."""

    accepted: frozenset[uuid.UUID]
    counts: Counter[uuid.UUID]

    @property
    def lost(self) -> set[uuid.UUID]:
        return {v for v in self.accepted if self.counts[v] == 0}

    @property
    def doubled(self) -> dict[uuid.UUID, int]:
        return {v: n for v, n in self.counts.items() if n > 1}

    @property
    def phantom(self) -> set[uuid.UUID]:
        return set(self.counts) - self.accepted

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def exact(self) -> bool:
        return not (self.lost or self.doubled or self.phantom)

    def summary(self) -> str:
        text_ = f"{len(self.counts)} ({len(self.lost)} lost, {len(self.doubled)} doubled"
        if self.phantom:
            text_ += f", {len(self.phantom)} never accepted"
        return text_ + ")"

    def details(self, name: str) -> str:
        """What went wrong, with a few ids to look up in the logs."""
        parts = []
        if self.lost:
            parts.append(f"{len(self.lost)} lost, e.g. {sorted(map(str, self.lost))[:3]}")
        if self.doubled:
            sample = dict(list(self.doubled.items())[:3])
            parts.append(f"{len(self.doubled)} doubled, e.g. {sample}")
        if self.phantom:
            parts.append(f"{len(self.phantom)} never accepted by registry")
        return f"{name}: " + ("; ".join(parts) or "exact")


@dataclass(frozen=True)
class History:
    accepted: frozenset[uuid.UUID]
    training: Effects
    notifications: Effects

    @property
    def exact(self) -> bool:
        return self.training.exact and self.notifications.exact

    def line(self, label: str) -> str:
        return (
            f"{label}: accepted {len(self.accepted)}, training {self.training.summary()}, "
            f"notifications {self.notifications.summary()}"
        )

    def details(self) -> str:
        return (
            self.training.details("training") + " | " + self.notifications.details("notifications")
        )


class Databases:
    """Read-only access to the three services' databases (any mix of SQLite and PostgreSQL).

    Each query runs in its own short transaction: the services keep writing meanwhile."""

    def __init__(self, urls: dict[str, str]) -> None:
        self._engines: dict[str, AsyncEngine] = {
            name: create_async_engine(url, pool_size=1, max_overflow=1)
            if url.startswith("postgresql")
            else create_async_engine(url)
            for name, url in urls.items()
        }

    async def rows(self, service: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self._engines[service].connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]

    async def scalar(self, service: str, sql: str, **params: Any) -> int:
        [(value,)] = await self.rows(service, sql, **params)
        return int(value or 0)

    # --- progress (cheap, for polling) ---------------------------------------------------

    async def accepted_total(self) -> int:
        return await self.scalar("registry", "SELECT count(*) FROM volunteers")

    async def unpublished(self) -> int:
        """registry's outbox rows not acknowledged by the broker yet."""
        return await self.scalar(
            "registry", "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )

    async def published(self) -> int:
        """registry's outbox rows the broker acknowledged."""
        return await self.scalar(
            "registry", "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"
        )

    async def training_total(self) -> int:
        return await self.scalar("training", "SELECT count(*) FROM known_volunteers")

    async def ledger_total(self) -> int:
        return await self.scalar(
            "notifications",
            "SELECT count(*) FROM notifications WHERE template = :t",
            t=REGISTRATION_RECEIVED,
        )

    # --- the history check -----------------------------------------------------------------

    async def history(self) -> History:
        accepted = frozenset(
            _uuid(v) for (v,) in await self.rows("registry", "SELECT id FROM volunteers")
        )
        training = await self.rows(
            "training",
            "SELECT volunteer_id, count(*) FROM known_volunteers GROUP BY volunteer_id",
        )
        ledger = await self.rows(
            "notifications",
            "SELECT recipient_id, count(*) FROM notifications WHERE template = :t "
            "GROUP BY recipient_id",
            t=REGISTRATION_RECEIVED,
        )
        return History(
            accepted=accepted,
            training=Effects(accepted, Counter({_uuid(v): int(n) for v, n in training})),
            notifications=Effects(accepted, Counter({_uuid(v): int(n) for v, n in ledger})),
        )

    async def dispose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()


async def consumer_lag(bootstrap: str, topic: str = VOLUNTEERS_TOPIC) -> dict[str, int]:
    """Per consumer group: records of `topic` not yet committed (end offset − committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        partitions = await partitions_of(consumer, topic, time.monotonic() + 15)
        ends = await consumer.end_offsets(partitions)
        lag: dict[str, int] = {}
        for group in CONSUMERS:
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            lag[group] = sum(
                ends[tp]
                - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                for tp in partitions
            )
        return lag
    finally:
        await admin.close()
        await consumer.stop()


async def until(
    check: Callable[[], Awaitable[bool]], *, timeout: float, message: str, interval: float = 0.05
) -> float:
    """Poll `check` until true (a deadline, never a sleep standing in for it); returns the
    seconds it took. Exceptions of `check` count as 'not yet' (a database or broker that is
    coming back), the last one is reported at the deadline."""
    started = time.monotonic()
    last: BaseException | None = None
    while time.monotonic() - started < timeout:
        try:
            if await check():
                return time.monotonic() - started
        except Exception as exc:
            last = exc
        await asyncio.sleep(interval)
    raise AssertionError(
        f"not within {timeout:.0f}s: {message}" + (f" (last error: {last!r})" if last else "")
    )
