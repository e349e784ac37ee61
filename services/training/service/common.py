"""Helpers shared by the use-cases: the clock, staging events, scoped loading."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import TrainingSession, outbox
from shared.auth import Principal
from shared.events.base import Event
from shared.outbox import stage_events
from shared.problems import Problem

SOURCE = "training"


def now() -> datetime:
    return datetime.now(UTC)


async def stage(session: AsyncSession, events: Iterable[Event]) -> None:
    await stage_events(session, outbox, events, source=SOURCE)


def region_forbidden(region_code: str) -> Problem:
    return Problem(
        403,
        "Forbidden",
        f"your scope does not include region {region_code}",
        errors=[{"field": "organiser_region_code", "message": "outside your scope"}],
    )


async def scoped_session(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> TrainingSession:
    """The session if it exists and lies in the principal's scope, else 404.

    Why FOR UPDATE: every change to a session's seats, waitlist or outcome takes the session
    row lock first, so concurrent operators are serialised per session on PostgreSQL
    (SQLite already serialises writers with BEGIN IMMEDIATE).
    """
    query = select(TrainingSession).where(col(TrainingSession.id) == session_id)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None or not principal.sees(found.organiser_region_code):
        raise Problem(404, "Not found", f"no session {session_id} in your scope")
    return found


def bad_request(
    field: str, message: str, status: int = 422, title: str = "Invalid request"
) -> Problem:
    return Problem(
        status, title, f"{field}: {message}", errors=[{"field": field, "message": message}]
    )


def conflict(detail: str) -> Problem:
    return Problem(409, "Conflict", detail)
