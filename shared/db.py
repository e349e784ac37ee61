"""Async engine and session helpers; each service has its own SQLModel registry/metadata."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, registry

from shared.sqlite import READONLY_OPTION, is_sqlite_url, make_sqlite_engine

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


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Build the engine for a database URL.

    SQLite (the local default) is configured by `shared.sqlite` (WAL, BEGIN IMMEDIATE, an
    in-process write gate); any other URL gets a pooled engine that checks connections
    before use.
    """
    if is_sqlite_url(url):
        return make_sqlite_engine(url)
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def make_sessionmaker(
    engine: AsyncEngine, *, sync_session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    """Sessions for use-cases; objects stay readable after commit (no expiry)."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=sync_session_class)


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for queries only: on SQLite they do not take the write lock."""
    return async_sessionmaker(
        engine.execution_options(**{READONLY_OPTION: True}), expire_on_commit=False
    )


def dialect_insert(session_or_engine: AsyncSession | AsyncEngine) -> Any:
    """The dialect's INSERT construct, which supports ON CONFLICT on SQLite and PostgreSQL."""
    bind = (
        session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    )
    name = bind.dialect.name if bind is not None else "sqlite"
    return postgresql.insert if name == "postgresql" else sqlite.insert


def is_postgres(session: AsyncSession) -> bool:
    """Whether the session is bound to PostgreSQL (row locks, SKIP LOCKED available)."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


_UNSET: Any = object()


class RowsInsert:
    """An INSERT of many rows at once, for consumers that apply a batch of events;
    `finish(stmt, keys)` adds the ON CONFLICT clause (`keys`: the columns the rows give).

    Why not `session.execute(stmt, rows)`: SQLAlchemy builds and converts every row's
    parameters in Python (≈ 40 % of a consumer's CPU per event with 200-row batches). On
    SQLite this sends the rows straight to the driver's `executemany`, with the SQL compiled
    once per set of columns and each value converted by its column's own bind processor
    (what SQLAlchemy would apply), a value repeated from the previous row (the batch's
    time, a template name) converted once. Other databases take the ordinary Core path.
    Rows must all have the same keys and give every column that has a Python-side default.
    """

    def __init__(
        self, table: Table, finish: Callable[[Any, tuple[str, ...]], Any] = lambda s, _: s
    ) -> None:
        self.table = table
        self._finish = finish
        self._sqlite: dict[tuple[str, ...], tuple[str, Any, list[tuple[int, Any]]] | None] = {}

    def statement(self, session: AsyncSession, keys: tuple[str, ...]) -> Any:
        """The Core statement for the session's dialect (the path of other databases)."""
        return self._finish(dialect_insert(session)(self.table), keys)

    async def execute(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` in the session's transaction."""
        if not rows:
            return
        conn = await session.connection()
        keys = tuple(rows[0])
        plan = self._plan(conn.dialect, keys) if conn.dialect.name == "sqlite" else None
        if plan is None:
            await session.execute(self.statement(session, keys), list(rows))
            return
        sql, get, converters = plan
        seen = [_UNSET] * len(converters)
        done: list[Any] = [None] * len(converters)
        params = []
        for row in rows:
            values = list(get(row))
            for j, (i, convert) in enumerate(converters):
                value = values[i]
                if value is not seen[j]:
                    seen[j], done[j] = value, convert(value)
                values[i] = done[j]
            params.append(tuple(values))
        await conn.exec_driver_sql(sql, params)

    def _plan(self, dialect: Any, keys: tuple[str, ...]) -> tuple[str, Any, list[Any]] | None:
        if keys in self._sqlite:
            return self._sqlite[keys]
        compiled = self._finish(sqlite.insert(self.table), keys).compile(
            dialect=dialect, column_keys=list(keys)
        )
        order = list(compiled.positiontup or ())
        plan = None
        # only when every bound value comes from the rows (no default or extra parameter)
        if sorted(order) == sorted(keys):
            get = itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
            converters = [
                (i, f)
                for i, k in enumerate(order)
                if (f := _bind_processor(self.table, k, dialect)) is not None
            ]
            plan = (compiled.string, get, converters)
        self._sqlite[keys] = plan
        return plan


def _bind_processor(table: Table, key: str, dialect: Any) -> Any:
    # Why dialect_impl: the generic type (e.g. DateTime) has no processor of its own; the
    # dialect's implementation (SQLite's DATETIME) is the one that formats the value.
    type_ = table.c[key].type
    return type_.dialect_impl(dialect).bind_processor(dialect)
