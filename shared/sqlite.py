"""SQLite as the local database: the engine settings and dialect patches it needs.

SQLite is the default database of a local run (one file per service, no server). Its
locking differs from PostgreSQL's, and SQLAlchemy's defaults do not cover the difference,
so an SQLite engine gets, and only an SQLite engine gets:

- pragmas on every connection: WAL (readers never block the writer), `synchronous=NORMAL`
  (safe with WAL, one fsync per checkpoint instead of per commit), foreign keys (off by
  default in SQLite) and a busy timeout for writers of *other* processes;
- `BEGIN IMMEDIATE` for write transactions (see `_on_begin`);
- an in-process `WriteGate`, acquired at BEGIN and released by patched `do_commit` /
  `do_rollback` of this engine's dialect and by the pool's check-in/close/invalidate events.

`shared.db.make_engine` calls `make_sqlite_engine` for `sqlite…` URLs; nothing else in the
platform needs to know about any of this.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_, in_greenlet

SQLITE_LOCK_TIMEOUT_S = 30.0
#: execution option of read-only sessions: a plain (deferred) BEGIN, no write lock
READONLY_OPTION = "sqlite_readonly"
PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000")


def is_sqlite_url(url: str) -> bool:
    """Whether a database URL names SQLite (any driver)."""
    return url.startswith("sqlite")


def make_sqlite_engine(url: str) -> AsyncEngine:
    """An async engine on an SQLite file with WAL, a busy timeout, BEGIN IMMEDIATE for
    writes and an in-process write gate.

    Why `isolation_level=None`: the sqlite3 module would otherwise issue its own BEGIN
    (deferred) before the first write; with autocommit at the driver, the `begin` event
    below is the only place a transaction starts, so it can start IMMEDIATE.
    """
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_LOCK_TIMEOUT_S, "isolation_level": None}
    )
    configure_sqlite(engine)
    return engine


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
        # Why per loop: an engine may outlive one event loop (tests, CLI runs); a lock bound
        # to a closed loop would never be released.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._holder = asyncio.Lock(), loop, None
        return self._lock

    async def acquire(self, holder: int) -> None:
        """Wait for the gate (FIFO), failing like SQLite's own lock after `timeout_s`."""
        lock = self._current()
        try:
            await asyncio.wait_for(lock.acquire(), self.timeout_s)
        except TimeoutError:
            raise sqlite3.OperationalError(
                f"database is locked (waited {self.timeout_s:.0f} s for this process's writer)"
            ) from None
        self._holder = holder

    def release(self, holder: int) -> None:
        """Release the gate if `holder` holds it; a no-op otherwise (idempotent)."""
        if self._lock is not None and self._holder == holder:
            self._holder = None
            self._lock.release()


def _key(connection: Any) -> int:
    """The DBAPI connection's identity, whether given the pool's proxy or the connection."""
    return id(getattr(connection, "dbapi_connection", connection))


def configure_sqlite(engine: AsyncEngine) -> None:
    """Install the pragmas, BEGIN IMMEDIATE and the write gate on an SQLite engine."""
    gate = WriteGate()
    _release_gate_after_commit_and_rollback(engine, gate)
    _release_gate_when_the_connection_leaves(engine, gate)
    event.listen(engine.sync_engine, "connect", _set_pragmas)
    event.listen(engine.sync_engine, "begin", _begin(gate))


def _release_gate_after_commit_and_rollback(engine: AsyncEngine, gate: WriteGate) -> None:
    # Why patch the dialect: SQLAlchemy has no event *after* the DBAPI commit/rollback of a
    # connection (`commit`/`rollback` events fire before), and releasing before the file
    # lock is dropped would let the next writer meet SQLite's busy handler. Instance
    # attributes: this engine's dialect only, never SQLite's dialect class.
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

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]


def _release_gate_when_the_connection_leaves(engine: AsyncEngine, gate: WriteGate) -> None:
    # Why: a task cancelled mid-transaction may never reach commit or rollback; the pool
    # still checks the connection in (or closes/invalidates it), and the gate goes with it.
    def release(dbapi_conn: Any, *_: Any) -> None:
        gate.release(_key(dbapi_conn))

    for name in ("checkin", "close", "invalidate", "soft_invalidate", "close_detached"):
        event.listen(engine.sync_engine.pool, name, release)


def _set_pragmas(dbapi_conn: Any, _: Any) -> None:
    cursor = dbapi_conn.cursor()
    for pragma in PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin(gate: WriteGate) -> Any:
    # Why IMMEDIATE: a deferred SQLite transaction that reads and then writes fails at once
    # with SQLITE_BUSY when another writer committed in between; taking the write lock at
    # BEGIN makes every transaction wait its turn instead (busy_timeout), which also makes
    # read-check-write use-cases (capacity, duplicates) serialisable on SQLite.
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READONLY_OPTION, False):
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

    return on_begin
