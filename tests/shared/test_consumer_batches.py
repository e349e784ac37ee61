"""A batch of events costs the consumer little per event without losing what it records:
rows go to SQLite's driver exactly as SQLAlchemy would store them, every event is counted in
the metrics, and the log has one line per batch (one per event only at DEBUG, when asked).
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiokafka import ConsumerRecord
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Uuid, insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import FrozenClock
from shared.columns import EnumText
from shared.consumer import EventConsumer, EventContext
from shared.db import RowsInsert, make_engine, make_sessionmaker
from shared.events.envelope import Envelope
from shared.events.registry import VolunteerRegistered, VolunteerStatusChanged
from shared.inbox import claim_many, define_inbox
from shared.logging import is_enabled_for, redact_pii
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings
from tests.foundation.helpers import registered_event

T0 = datetime(2031, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def _tables(metadata: MetaData) -> tuple[Table, Table]:
    def columns() -> list[Column[Any]]:
        return [
            Column("id", Uuid, primary_key=True),
            Column("at", DateTime(timezone=True), nullable=False),
            Column("colour", EnumText(Colour, 10), nullable=False),
            Column("n", Integer, nullable=False),
            Column("note", String(20)),
        ]

    return Table("by_core", metadata, *columns()), Table("by_driver", metadata, *columns())


@pytest.fixture
async def sessionmaker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'batches.db'}")
    metadata = MetaData()
    _tables(metadata)
    define_inbox(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.UUID(int=i + 1),
            "at": T0,
            "colour": Colour.BLUE if i % 2 else "red",
            "n": i,
            "note": None if i % 3 else f"row {i}",
        }
        for i in range(count)
    ]


async def _stored(session: AsyncSession, table: str) -> list[tuple[Any, ...]]:
    result = await session.execute(
        text(f"SELECT id, typeof(at), at, colour, n, note FROM {table} ORDER BY n")
    )
    return [tuple(r) for r in result]


async def test_rows_reach_sqlite_as_sqlalchemy_would_store_them(sessionmaker):
    """Same rows, once through SQLAlchemy's Core executemany and once through `RowsInsert`:
    the stored values (UUID as hex, time in SQLAlchemy's format, enum values) are equal."""
    metadata = MetaData()
    by_core, by_driver = _tables(metadata)
    async with sessionmaker() as session, session.begin():
        await session.execute(insert(by_core), _rows(7))
        await RowsInsert(by_driver).execute(session, _rows(7))
    async with sessionmaker() as session:
        core, driver = await _stored(session, "by_core"), await _stored(session, "by_driver")
    assert driver == core
    assert driver[0][2] == "2031-05-04 03:02:01.123456"


async def test_a_value_outside_a_closed_list_is_refused_before_the_database(sessionmaker):
    metadata = MetaData()
    _, by_driver = _tables(metadata)
    rows = _rows(2)
    rows[1]["colour"] = "green"
    with pytest.raises(ValueError, match="green"):
        async with sessionmaker() as session, session.begin():
            await RowsInsert(by_driver).execute(session, rows)


async def test_the_conflict_clause_decides_what_happens_to_known_keys(sessionmaker):
    metadata = MetaData()
    _, table = _tables(metadata)
    keep = RowsInsert(table, lambda stmt, _: stmt.on_conflict_do_nothing())
    overwrite = RowsInsert(
        table,
        lambda stmt, keys: stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: getattr(stmt.excluded, k) for k in keys if k != "id"}
        ),
    )
    first = _rows(2)
    again = [{**r, "note": "again"} for r in first]
    async with sessionmaker() as session, session.begin():
        await keep.execute(session, first)
        await keep.execute(session, again)
    async with sessionmaker() as session:
        assert [r[5] for r in await _stored(session, table.name)] == ["row 0", None]
    async with sessionmaker() as session, session.begin():
        await overwrite.execute(session, again)
    async with sessionmaker() as session:
        assert [r[5] for r in await _stored(session, table.name)] == ["again", "again"]


async def test_a_column_default_the_rows_leave_out_is_still_applied(tmp_path: Path):
    """Python-side defaults are SQLAlchemy's to fill: such rows take the ordinary path."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'defaults.db'}")
    metadata = MetaData()
    table = Table(
        "t",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("attempts", Integer, nullable=False, default=0),
    )
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await RowsInsert(table).execute(session, [{"id": 1}, {"id": 2}])
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, attempts FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, 0), (2, 0)]
    finally:
        await engine.dispose()


# --- the consumer: metrics per event, log lines per batch -------------------------------


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    """Log lines as dicts, with the level filter of `configure_logging` (INFO unless the
    test lowers it through `_level`)."""
    saved = structlog.get_config()
    with structlog.testing.capture_logs() as captured:
        _level(logging.INFO)
        yield captured
    structlog.configure(**saved)


def _level(level: int) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))


def _consumer(
    sessionmaker: async_sessionmaker[AsyncSession], *, log_each_event: bool = True
) -> tuple[EventConsumer, ServiceMetrics, list[int]]:
    metrics = ServiceMetrics("test")
    metadata = MetaData()
    consumer = EventConsumer(
        name="test",
        broker=None,  # type: ignore[arg-type]  # no dead letters in these tests
        sessionmaker=sessionmaker,
        inbox=define_inbox(metadata),
        settings=ServiceSettings(database_url="sqlite://", log_each_event=log_each_event),
        metrics=metrics,
        clock=FrozenClock(T0),
    )
    applied: list[int] = []

    @consumer.handles_many(VolunteerRegistered)
    async def on_registered(items: list[tuple[VolunteerRegistered, EventContext]]) -> None:
        applied.extend(ctx.offset for _, ctx in items)

    return consumer, metrics, applied


def _record(
    offset: int,
    event_id: uuid.UUID,
    event_type: str = "volunteer-registered",
    correlation_id: str | None = None,
) -> Any:
    value = registered_event().model_dump_json().encode()
    headers = Envelope(
        event_type=event_type, source="registry", event_id=event_id, correlation_id=correlation_id
    ).to_headers()
    return ConsumerRecord(
        topic=VolunteerRegistered.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=value,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(value),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


def _batch() -> list[Any]:
    """Five records: three new events, one of them again (a duplicate), one ignored type."""
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    return [
        _record(0, a),
        _record(1, b),
        _record(2, a),
        _record(3, uuid.uuid4(), VolunteerStatusChanged.event_type),
        _record(4, c),
    ]


def _handled(metrics: ServiceMetrics, outcome: str, event_type: str) -> float:
    value = metrics.registry.get_sample_value(
        "psm_events_handled_total",
        {"consumer": "test", "event_type": event_type, "outcome": outcome},
    )
    return value or 0.0


async def test_every_event_of_a_batch_is_counted_and_the_batch_logged_once(sessionmaker, logs):
    consumer, metrics, applied = _consumer(sessionmaker)

    outcomes = await consumer.process_batch(_batch())

    assert outcomes == ["applied", "applied", "duplicate", "ignored", "applied"]
    assert applied == [0, 1, 4]
    assert _handled(metrics, "applied", "volunteer-registered") == 3
    assert _handled(metrics, "duplicate", "volunteer-registered") == 1
    assert _handled(metrics, "ignored", VolunteerStatusChanged.event_type) == 1
    duplicates = metrics.registry.get_sample_value(
        "psm_inbox_duplicates_skipped_total",
        {"consumer": "test", "event_type": "volunteer-registered"},
    )
    assert duplicates == 1
    assert [(e["event"], e["log_level"]) for e in logs] == [("events handled", "info")]
    assert logs[0] | {"events": 5, "applied": 3, "duplicate": 1, "ignored": 1} == logs[0]


async def test_the_batch_line_names_the_requests_behind_it_once_each(sessionmaker, logs):
    """At INFO a request can still be followed into the consumer (the per-event lines that
    used to carry its correlation id are at DEBUG)."""
    consumer, _, _ = _consumer(sessionmaker)
    ids = ["req-081234567890-a", "req-081234567890-a", None, "req-2"]

    await consumer.process_batch(
        [_record(i, uuid.uuid4(), correlation_id=c) for i, c in enumerate(ids)]
    )

    assert [e["correlation_ids"] for e in logs] == [["req-081234567890-a", "req-2"]]


async def test_each_event_has_its_line_at_debug_when_asked(sessionmaker, logs):
    _level(logging.DEBUG)
    consumer, _, _ = _consumer(sessionmaker)
    records = _batch()

    await consumer.process_batch(records)

    lines = [e for e in logs if e["log_level"] == "debug"]
    assert [e["event"] for e in lines] == [
        "event applied",
        "event applied",
        "event duplicate",
        "event applied",
    ]
    assert [e["offset"] for e in lines] == [0, 1, 2, 4]
    assert lines[0]["event_id"] == str(Envelope.from_headers(records[0].headers).event_id)


async def test_no_line_per_event_when_not_asked_even_at_debug(sessionmaker, logs):
    _level(logging.DEBUG)
    consumer, _, _ = _consumer(sessionmaker, log_each_event=False)

    await consumer.process_batch(_batch())

    assert [e["event"] for e in logs] == ["events handled"]


def test_a_filtered_level_is_known_before_building_its_lines(logs):
    log = structlog.get_logger("test")
    assert not is_enabled_for(log, logging.DEBUG)
    assert is_enabled_for(log, logging.INFO)
    _level(logging.DEBUG)
    assert is_enabled_for(log, logging.DEBUG)


async def test_the_inbox_claims_each_event_once_across_batches(sessionmaker):
    inbox = define_inbox(MetaData())
    first = [Envelope(event_type="volunteer-registered", source="registry") for _ in range(3)]
    second = [first[1], Envelope(event_type="volunteer-registered", source="registry")]

    async with sessionmaker() as session, session.begin():
        claimed = await claim_many(session, inbox, consumer="test", envelopes=first, now=T0)
    async with sessionmaker() as session, session.begin():
        again = await claim_many(session, inbox, consumer="test", envelopes=second, now=T0)
    async with sessionmaker() as session, session.begin():
        other = await claim_many(session, inbox, consumer="other", envelopes=second, now=T0)

    assert claimed == {e.event_id for e in first}
    assert again == {second[1].event_id}
    assert other == {e.event_id for e in second}, "another consumer's inbox is its own"
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
    assert count == 6


def test_the_requests_named_by_a_batch_line_stay_findable_in_the_log():
    """Correlation ids are request ids, never personal data: the batch line's list is left
    as it is, like the single `correlation_id`, while the same text elsewhere is masked."""
    line = {"correlation_ids": ["req-081234567890-a"], "note": "req-081234567890-a"}

    redacted = redact_pii(None, "info", line)

    assert redacted["correlation_ids"] == ["req-081234567890-a"]
    assert "081234567890" not in redacted["note"]
