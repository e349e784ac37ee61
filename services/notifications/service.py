"""notifications use-cases. Never commit: the caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.db.tables import Notification
from services.notifications.domain.templates import REGISTRATION_RECEIVED, render
from shared.logging import get_logger

log = get_logger("notifications")


async def notify_registration_received(
    session: AsyncSession, *, trigger_event_id: uuid.UUID, volunteer_id: uuid.UUID
) -> Notification:
    """Record the welcome message; the development channel 'delivers' it to the ledger and log."""
    note = Notification(
        trigger_event_id=trigger_event_id,
        recipient_id=volunteer_id,
        template=REGISTRATION_RECEIVED,
        channel="dev",
        status="sent",
        body=render(REGISTRATION_RECEIVED),
        sent_at=datetime.now(UTC),
    )
    session.add(note)
    await session.flush()
    log.info(
        "notification sent", channel="dev", template=note.template, notification_id=str(note.id)
    )
    return note


async def list_notifications(
    session: AsyncSession, *, volunteer_id: uuid.UUID | None = None, limit: int = 100
) -> list[Notification]:
    stmt = select(Notification).order_by(col(Notification.created_at)).limit(limit)
    if volunteer_id is not None:
        stmt = stmt.where(col(Notification.recipient_id) == volunteer_id)
    return list((await session.execute(stmt)).scalars())
