"""Async engine and session helpers; each service has its own SQLModel registry/metadata."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
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
