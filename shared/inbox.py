"""Inbox: per-consumer record of applied event ids, written in the same transaction as the effect."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import RowsInsert, dialect_insert
from shared.events.envelope import Envelope


def define_inbox(metadata: MetaData) -> Table:
    """The service's inbox table: one row per (consumer, event id) it applied."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, index=True),
    )


async def claim(
    session: AsyncSession, inbox: Table, *, consumer: str, envelope: Envelope, now: datetime
) -> bool:
    """True if this consumer has not applied the event before (and now owns applying it);
    `now` (the service's clock) is recorded as the time it was processed.

    Why ON CONFLICT DO NOTHING: two instances racing on a redelivered event both insert;
    the database lets exactly one of them through, the other sees a duplicate.
    """
    stmt = (
        dialect_insert(session)(inbox)
        .values(
            consumer=consumer,
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            processed_at=now,
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def claim_many(
    session: AsyncSession,
    inbox: Table,
    *,
    consumer: str,
    envelopes: Sequence[Envelope],
    now: datetime,
) -> set[uuid.UUID]:
    """The ids of `envelopes` this consumer had not applied before (now claimed, processed
    at `now`), in one or two statements for the whole batch instead of one per event.
    Envelopes must have distinct event ids.

    On PostgreSQL: one INSERT … ON CONFLICT DO NOTHING RETURNING, so that of two instances
    racing on a redelivered event exactly one gets it. On SQLite (cheaper: no RETURNING, so
    the rows go straight to the driver's executemany through `RowsInsert`) the ids already
    there are read, and the others inserted with a plain INSERT: the transaction holds the
    file's write lock from BEGIN IMMEDIATE, and should a row appear in between anyway, the
    INSERT fails the batch (which is then applied one by one) rather than skip the row.

    Why the rows never go inside the statement (`.values([...])`): such a statement is new
    for every batch and compiled anew (≈ 50 SQLAlchemy calls per bound value).
    """
    if not envelopes:
        return set()
    rows = [
        {
            "consumer": consumer,
            "event_id": e.event_id,
            "event_type": e.event_type,
            "processed_at": now,
        }
        for e in envelopes
    ]
    if (await session.connection()).dialect.name != "sqlite":
        stmt = dialect_insert(session)(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
        return set((await session.execute(stmt, rows)).scalars())
    ids = [e.event_id for e in envelopes]
    known: set[uuid.UUID] = set()
    for i in range(0, len(ids), _IN_CHUNK):
        found = await session.execute(
            select(inbox.c.event_id).where(
                inbox.c.consumer == consumer, inbox.c.event_id.in_(ids[i : i + _IN_CHUNK])
            )
        )
        known.update(found.scalars())
    fresh = [r for r, e in zip(rows, envelopes, strict=True) if e.event_id not in known]
    await _plain_insert(inbox).execute(session, fresh)
    return {e.event_id for e in envelopes} - known


#: ids per `IN (…)` list (SQLite allows 32,766 variables per statement)
_IN_CHUNK = 1000


def _plain_insert(inbox: Table) -> RowsInsert:
    """The inbox's INSERT for the driver, compiled once per table (kept in its `info`)."""
    insert = inbox.info.get("psm_rows_insert")
    if not isinstance(insert, RowsInsert):
        insert = inbox.info["psm_rows_insert"] = RowsInsert(inbox)
    return insert
