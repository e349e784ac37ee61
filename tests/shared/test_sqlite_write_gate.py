"""The SQLite write gate: one write transaction at a time per process, in arrival order,
never left held by a transaction that was cancelled or rolled back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine, make_read_sessionmaker, make_sessionmaker


@pytest.fixture
async def engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/gate.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    await engine.dispose()


async def _rows(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return [r[0] for r in await conn.execute(text("SELECT n FROM t ORDER BY rowid"))]


async def test_concurrent_writers_of_one_process_never_meet_sqlites_lock(engine):
    """Writers of one process queue on the gate instead of polling SQLite's file lock with
    growing sleeps: with SQLite's busy timeout at zero, twelve concurrent write transactions
    (each awaiting something while it holds the lock) all commit, none sees 'locked'."""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_busy_wait(dbapi_conn, _):
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    await engine.dispose()  # new connections get the pragma
    sessions = make_sessionmaker(engine)

    async def write(n: int) -> None:
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.005)

    await asyncio.gather(*(write(n) for n in range(12)))
    assert sorted(await _rows(engine)) == list(range(12))


async def test_a_cancelled_writer_releases_the_gate(engine):
    sessions = make_sessionmaker(engine)
    holding = asyncio.Event()

    async def hold() -> None:
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(hold())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with sessions() as session, session.begin():
        await asyncio.wait_for(session.execute(text("INSERT INTO t VALUES (2)")), 5)
    assert await _rows(engine) == [2]  # the cancelled insert was rolled back


async def test_a_failed_transaction_releases_the_gate(engine):
    sessions = make_sessionmaker(engine)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("the use-case failed")
    async with sessions() as session, session.begin():
        await asyncio.wait_for(session.execute(text("INSERT INTO t VALUES (2)")), 5)
    assert await _rows(engine) == [2]


async def test_readers_do_not_wait_for_a_writer(engine):
    sessions, readers = make_sessionmaker(engine), make_read_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(text("INSERT INTO t VALUES (1)"))
        async with readers() as reader:
            # The write transaction is still open: a read answers at once (WAL snapshot).
            result = await asyncio.wait_for(reader.execute(text("SELECT count(*) FROM t")), 2)
            assert result.scalar_one() == 0
