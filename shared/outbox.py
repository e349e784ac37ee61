"""Transactional outbox: an event is staged in the caller's transaction, never published there."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shared.clock import SYSTEM_CLOCK
from shared.events.base import Event
from shared.events.envelope import Envelope

#: correlation id of the current request or message; events staged inside it carry it on.
correlation_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


class EventTooLargeError(ValueError):
    """An event larger than the broker accepts would block the relay: the outbox refuses it."""


def define_outbox(metadata: MetaData) -> Table:
    """The outbox table in a service's own metadata."""
    table = Table(
        "outbox",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("schema_version", Integer, nullable=False),
        Column("source", String(50), nullable=False),
        Column("correlation_id", String(100)),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_pending",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    Index("ix_outbox_published_at", table.c.published_at)
    return table


def outbox_row(
    event_: Event,
    *,
    source: str,
    correlation_id: str | None = None,
    max_bytes: int = 512 * 1024,
    now: datetime | None = None,
) -> dict[str, object]:
    """The outbox row of one event (envelope columns and JSON payload); refuses oversize.

    `now` (the service's clock) is the event's time and the row's created_at; the system
    clock's now when not given.
    """
    envelope = Envelope(
        event_type=event_.event_type,
        source=source,
        schema_version=event_.schema_version,
        time=now if now is not None else SYSTEM_CLOCK.now(),
        correlation_id=correlation_id or correlation_id_var.get(),
    )
    payload = event_.model_dump_json()
    if len(payload.encode()) > max_bytes:
        raise EventTooLargeError(f"{event_.event_type} is {len(payload)} bytes; limit {max_bytes}")
    return {
        "event_id": envelope.event_id,
        "topic": event_.topic,
        "key": event_.key(),
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "source": source,
        "correlation_id": envelope.correlation_id,
        "payload": payload,
        "created_at": envelope.time,
        "attempts": 0,
    }


async def stage_events(
    session: AsyncSession,
    outbox: Table,
    events: Iterable[Event],
    *,
    source: str,
    correlation_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add events to the outbox inside the caller's open transaction; returns how many.

    `now` is the time of the events (the service's clock; the system clock when not given).
    """
    now = now if now is not None else SYSTEM_CLOCK.now()
    rows = [outbox_row(e, source=source, correlation_id=correlation_id, now=now) for e in events]
    if rows:
        await session.execute(insert(outbox), rows)
        session.info["outbox_staged"] = True
    return len(rows)


async def stage_event(
    session: AsyncSession,
    outbox: Table,
    event_: Event,
    *,
    source: str,
    correlation_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Add one event to the outbox inside the caller's open transaction (at `now`, as
    `stage_events`)."""
    await stage_events(
        session, outbox, [event_], source=source, correlation_id=correlation_id, now=now
    )


def wake_relay_after_commit(
    session_class: type[Session], notify: Callable[[], None]
) -> Callable[[], None]:
    """Call `notify` after a commit of `session_class` that staged events (relay wakes at once).

    Returns a function that removes the listener (for app shutdown and tests).
    """

    def _after_commit(session: Session) -> None:
        if session.info.pop("outbox_staged", False):
            notify()

    def _after_rollback(session: Session) -> None:
        session.info.pop("outbox_staged", None)

    def _after_soft_rollback(session: Session, _transaction: object) -> None:
        _after_rollback(session)

    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_soft_rollback", _after_soft_rollback)

    def remove() -> None:
        event.remove(session_class, "after_commit", _after_commit)
        event.remove(session_class, "after_soft_rollback", _after_soft_rollback)

    return remove


def _window(
    outbox: Table, *, since: datetime, until: datetime | None, topic: str | None
) -> list[Any]:
    conditions: list[Any] = [
        outbox.c.published_at.is_not(None),
        outbox.c.published_at >= as_utc(since),
    ]
    if until is not None:
        conditions.append(outbox.c.published_at < as_utc(until))
    if topic is not None:
        conditions.append(outbox.c.topic == topic)
    return conditions


async def count_published(
    session: AsyncSession,
    outbox: Table,
    *,
    since: datetime,
    until: datetime | None = None,
    topic: str | None = None,
) -> int:
    """How many rows the broker acknowledged in [since, until) (on `topic`, if given)."""
    where = _window(outbox, since=since, until=until, topic=topic)
    return int((await session.execute(select(func.count()).where(*where))).scalar_one())


async def mark_for_republish(
    session: AsyncSession,
    outbox: Table,
    *,
    since: datetime,
    until: datetime | None = None,
    topic: str | None = None,
) -> int:
    """Make the rows the broker acknowledged in [since, until) pending again (published_at
    NULL, attempts reset), so the running relay sends them again; returns how many.

    For a broker that lost its log: the window is the time of acknowledgement, i.e. what
    the lost log held. Every consumer's inbox recognises a re-published event (same event
    id), so re-publishing too much costs time, never a second effect. Rows older than
    `outbox_retention_hours` are gone and cannot be re-published.
    """
    where = _window(outbox, since=since, until=until, topic=topic)
    result = await session.execute(
        update(outbox)
        .where(*where)
        .values(published_at=None, attempts=0, next_attempt_at=None, last_error=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as UTC. (SQLite stores the UTC wall time,
    so a bound value must be in UTC too for comparisons to hold.)"""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
