"""Closed lists (statuses, channels, outcomes, kinds) are enums in the code and the API, and
the same strings as ever in the database, which refuses any other value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import select

from services.notifications.db.tables import ScheduledMessage
from services.notifications.domain.enums import ScheduledKind, ScheduledStatus
from shared.db import make_sessionmaker
from tests.support import migrate

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def test_an_enum_column_stores_the_same_string_and_reads_back_the_member(database_url):
    await migrate("notifications", database_url)
    engine = create_async_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            session.add(
                ScheduledMessage(
                    kind=ScheduledKind.SESSION_REMINDER,
                    template="session-reminder",
                    due_at=NOW,
                    created_at=NOW,
                )
            )
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT kind, status FROM scheduled_messages"))).one()
        assert tuple(stored) == ("session-reminder", "pending")
        async with make_sessionmaker(engine)() as session:
            [row] = (await session.execute(select(ScheduledMessage))).scalars()
        assert row.status is ScheduledStatus.PENDING
    finally:
        await engine.dispose()


async def test_the_database_refuses_a_status_outside_the_closed_list(database_url):
    await migrate("notifications", database_url)
    engine = create_async_engine(database_url)
    insert = text(
        "INSERT INTO scheduled_messages (id, kind, template, context, due_at, status, created_at)"
        " VALUES (:id, 'session-reminder', 'session-reminder', '{}', :at, 'postponed', :at)"
    )
    try:
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert, {"id": str(uuid.uuid4()), "at": NOW})
    finally:
        await engine.dispose()
