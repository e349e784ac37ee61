"""Helpers shared by the use-cases: staging events, loading a session in scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import TrainingSession, outbox
from services.training.domain.errors import SessionNotFound
from shared.events.base import Event
from shared.i18n import t
from shared.identity import Principal
from shared.outbox import stage_events

SOURCE = "training"


async def stage(session: AsyncSession, events: Iterable[Event], *, now: datetime) -> None:
    """Stage events in the outbox at `now` (the use-case's time), in the caller's transaction."""
    await stage_events(session, outbox, events, source=SOURCE, now=now)


async def scoped_session(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> TrainingSession:
    """The session if it exists and lies in the principal's scope, else SessionNotFound.

    Why FOR UPDATE: every change to a session's seats, waitlist or outcome takes the session
    row lock first, so concurrent operators are serialised per session on PostgreSQL
    (SQLite already serialises writers with BEGIN IMMEDIATE).
    """
    query = select(TrainingSession).where(col(TrainingSession.id) == session_id)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None or not principal.sees(found.organiser_region_code):
        raise SessionNotFound(
            t(
                "Sesi {id} tidak ditemukan dalam cakupan Anda",
                "no session {id} in your scope",
                id=session_id,
            )
        )
    return found
