"""Async engine and session helpers; each service has its own SQLModel registry/metadata."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, registry
from sqlalchemy.util.concurrency import await_, in_greenlet

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_registry() -> registry:
    """A SQLAlchemy registry with its own metadata, for one service's SQLModel base:

        class RegistryModel(SQLModel, registry=new_registry()): ...

    so that each service's migrations see only that service's tables.
    """
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


SQLITE_LOCK_TIMEOUT_S = 30.0


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Build the engine; SQLite gets WAL, a busy timeout, BEGIN IMMEDIATE for writes and an
    in-process write gate (`WriteGate`)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_LOCK_TIMEOUT_S, "isolation_level": None}
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class WriteGate:
    """One write transaction at a time per SQLite engine in this process, queued FIFO.

    SQLite admits one writer per file. Without this gate, concurrent writers of one process
    (requests, the relay, consumers) each wait for the file lock in SQLite's busy handler,
    which polls with sleeps growing to 100 ms: throughput drops and unlucky writers wait
    seconds (measured: POST /volunteers at 8 concurrent clients, 32 rps, p99 3.3 s). Here
    they wait on an asyncio lock instead and start the moment the previous writer ends.
    Other processes on the same file are still arbitrated by the busy timeout.

    Acquired in the engine's `begin` event (BEGIN IMMEDIATE), released after the DBAPI
    commit or rollback, and in any case when the connection goes back to the pool, is
    closed or is invalidated, so that a cancelled task cannot leave it held.
    """

    def __init__(self, timeout_s: float = SQLITE_LOCK_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._holder: int | None = None

    def _current(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._holder = asyncio.Lock(), loop, None
        return self._lock

    async def acquire(self, holder: int) -> None:
        lock = self._current()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout_s)
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (waited {self.timeout_s:.0f} s for this process's writer)"
            ) from None
        self._holder = holder

    def release(self, holder: int) -> None:
        if self._lock is not None and self._holder == holder:
            self._holder = None
            self._lock.release()


def _key(connection: Any) -> int:
    """The DBAPI connection's identity, whether given the pool's proxy or the connection."""
    return id(getattr(connection, "dbapi_connection", connection))


def _configure_sqlite(engine: AsyncEngine) -> None:
    gate = WriteGate()
    dialect = engine.sync_engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_conn: Any) -> None:
        try:
            plain_commit(dbapi_conn)
        finally:
            gate.release(_key(dbapi_conn))

    def do_rollback(dbapi_conn: Any) -> None:
        try:
            plain_rollback(dbapi_conn)
        finally:
            gate.release(_key(dbapi_conn))

    # Instance attributes: this engine's dialect only.
    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]

    def _release(dbapi_conn: Any, *_: Any) -> None:
        gate.release(_key(dbapi_conn))

    for name in ("checkin", "close", "invalidate", "soft_invalidate", "close_detached"):
        event.listen(engine.sync_engine.pool, name, _release)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _: Any) -> None:
        cursor = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    # Why IMMEDIATE: a deferred SQLite transaction that reads and then writes fails at once
    # with SQLITE_BUSY when another writer committed in between; taking the write lock at
    # BEGIN makes every transaction wait its turn instead (busy_timeout), which also makes
    # read-check-write use-cases (capacity, duplicates) serialisable on SQLite.
    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_readonly", False):
            conn.exec_driver_sql("BEGIN")
            return
        holder = _key(conn.connection)
        if in_greenlet():
            await_(gate.acquire(holder))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.release(holder)
            raise


def make_sessionmaker(
    engine: AsyncEngine, *, sync_session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=sync_session_class)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for queries only: on SQLite they do not take the write lock."""
    return async_sessionmaker(
        engine.execution_options(sqlite_readonly=True), expire_on_commit=False
    )


def dialect_insert(session_or_engine: AsyncSession | AsyncEngine) -> Any:
    """The dialect's INSERT construct, which supports ON CONFLICT on SQLite and PostgreSQL."""
    bind = (
        session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    )
    name = bind.dialect.name if bind is not None else "sqlite"
    return postgresql.insert if name == "postgresql" else sqlite.insert


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"
