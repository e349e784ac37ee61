"""The delivery ledger: enqueue exactly once, list within scope, resend."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.db.tables import DeliveryAttempt, Notification, Recipient
from services.notifications.domain import templates
from services.notifications.domain.enums import (
    NOT_RESENDABLE,
    NotificationStatus,
    RecipientKind,
)
from services.notifications.domain.errors import NotificationNotFound, NotResendable
from services.notifications.domain.paging import Cursor
from services.notifications.service.paging import Page, keyset, page_of
from shared.db import RowsInsert, dialect_insert
from shared.i18n import t
from shared.identity import Principal
from shared.ids import uuid7

#: new ledger rows of a batch; the unique key makes each exactly-once
_NEW_NOTIFICATIONS = RowsInsert(
    Notification.__table__,  # type: ignore[attr-defined]
    lambda stmt, _: stmt.on_conflict_do_nothing(),
)


async def region_of(session: AsyncSession, volunteer_id: uuid.UUID) -> str | None:
    """The village of a volunteer, as the read model knows it."""
    recipient = await session.get(Recipient, volunteer_id)
    return recipient.village_code if recipient else None


async def enqueue(
    session: AsyncSession,
    *,
    trigger_event_id: uuid.UUID,
    recipient_id: uuid.UUID,
    template: str,
    now: datetime,
    context: dict[str, Any] | None = None,
    session_id: uuid.UUID | None = None,
    region_code: str | None = None,
    recipient_kind: RecipientKind = RecipientKind.VOLUNTEER,
) -> bool:
    """Add a message to the ledger; False if (trigger, recipient, template) is already there.

    Why ON CONFLICT DO NOTHING: the unique key is the exactly-once guarantee; a redelivered
    event, a replayed reminder or a second dispatcher all land on the same row.
    """
    spec = templates.get(template)
    if region_code is None and recipient_kind == RecipientKind.VOLUNTEER:
        region_code = await region_of(session, recipient_id)
    stmt = (
        dialect_insert(session)(Notification.__table__)  # type: ignore[attr-defined]
        .values(
            id=uuid.uuid4(),
            trigger_event_id=trigger_event_id,
            recipient_id=recipient_id,
            recipient_kind=recipient_kind,
            template=template,
            template_version=spec.version,
            category=spec.category,
            priority=int(spec.priority),
            channel="",
            status=NotificationStatus.PENDING,
            body="",
            context=json.dumps(context or {}, default=str),
            session_id=session_id,
            region_code=region_code,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            resent_count=0,
        )
        .on_conflict_do_nothing()
    )
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def enqueue_many(
    session: AsyncSession,
    items: list[dict[str, Any]],
    *,
    template: str,
    now: datetime,
    context: dict[str, Any] | None = None,
) -> None:
    """`enqueue` for many (trigger, recipient) pairs of one template with known regions, in
    one INSERT … ON CONFLICT DO NOTHING (the unique key still makes each exactly-once)."""
    spec = templates.get(template)
    shared_context = json.dumps(context or {}, default=str)
    rows = [
        {
            # time-ordered: a batch's rows land at the right edge of the key's B-tree
            "id": uuid7(),
            "trigger_event_id": item["trigger_event_id"],
            "recipient_id": item["recipient_id"],
            "recipient_kind": RecipientKind.VOLUNTEER,
            "template": template,
            "template_version": spec.version,
            "category": spec.category,
            "priority": int(spec.priority),
            "channel": "",
            "status": NotificationStatus.PENDING,
            "body": "",
            "context": shared_context,
            "session_id": None,
            "region_code": item["region_code"],
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "resent_count": 0,
        }
        for item in items
    ]
    await _NEW_NOTIFICATIONS.execute(session, rows)


def in_scope(principal: Principal) -> Any:
    """The condition on ledger rows the principal may see (None: all of them)."""
    if principal.is_national:
        return None
    return or_(
        col(Notification.region_code) == principal.scope,
        col(Notification.region_code).startswith(principal.scope + "."),
    )


async def list_notifications(
    session: AsyncSession,
    *,
    principal: Principal,
    volunteer_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    status: NotificationStatus | None = None,
    limit: int = 100,
    after: Cursor | None = None,
) -> Page[Notification]:
    """Ledger rows visible to the principal, newest first (by time, then id), one page."""
    stmt = keyset(
        select(Notification),
        col(Notification.created_at),
        col(Notification.id),
        after=after,
        limit=limit,
    )
    scope = in_scope(principal)
    if scope is not None:
        stmt = stmt.where(scope)
    if volunteer_id is not None:
        stmt = stmt.where(col(Notification.recipient_id) == volunteer_id)
    if session_id is not None:
        stmt = stmt.where(col(Notification.session_id) == session_id)
    if status is not None:
        stmt = stmt.where(col(Notification.status) == status)
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, limit, lambda n: (n.created_at, n.id))


async def get_in_scope(
    session: AsyncSession, *, principal: Principal, notification_id: uuid.UUID
) -> Notification:
    """The ledger row, if the principal may see it (another region's row is not found)."""
    stmt = select(Notification).where(col(Notification.id) == notification_id)
    scope = in_scope(principal)
    if scope is not None:
        stmt = stmt.where(scope)
    note = (await session.execute(stmt)).scalar_one_or_none()
    if note is None:
        raise NotificationNotFound(
            t(
                "Notifikasi {id} tidak ditemukan",
                "notification {id} not found",
                id=notification_id,
            )
        )
    return note


async def attempts_of(session: AsyncSession, notification_id: uuid.UUID) -> list[DeliveryAttempt]:
    """Every delivery attempt of a row, oldest first."""
    stmt = (
        select(DeliveryAttempt)
        .where(col(DeliveryAttempt.notification_id) == notification_id)
        .order_by(col(DeliveryAttempt.attempted_at))
    )
    return list((await session.execute(stmt)).scalars())


async def resend(
    session: AsyncSession, *, principal: Principal, notification_id: uuid.UUID, now: datetime
) -> Notification:
    """Put a notification back in the queue (an operator's decision; recorded on the row)."""
    note = await get_in_scope(session, principal=principal, notification_id=notification_id)
    if note.status in NOT_RESENDABLE:
        raise NotResendable(
            t(
                "Notifikasi {id} berstatus {status}; tidak dapat dikirim ulang",
                "notification {id} is {status}; it cannot be resent",
                id=notification_id,
                status=note.status,
            )
        )
    note.status, note.next_attempt_at, note.lease_until = NotificationStatus.PENDING, now, None
    note.attempts = 0
    note.resent_count += 1
    note.last_error = None
    session.add(note)
    await session.flush()
    return note
