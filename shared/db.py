"""Async engine and session helpers; each service has its own SQLModel registry/metadata."""

from __future__ import annotations

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
    """Build the engine; SQLite gets WAL, a busy timeout and write-ahead BEGIN IMMEDIATE."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30, "isolation_level": None})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
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
        readonly = conn.get_execution_options().get("sqlite_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


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
