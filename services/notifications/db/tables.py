"""notifications' own tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.db import new_registry
from shared.inbox import define_inbox
from shared.outbox import define_outbox


class NotificationsModel(SQLModel, registry=new_registry()):
    """Base of notifications's tables: its own metadata."""


metadata = NotificationsModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Notification(NotificationsModel, table=True):
    """The delivery ledger: one row per (triggering event, recipient, template)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("trigger_event_id", "recipient_id", "template"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    trigger_event_id: uuid.UUID
    recipient_id: uuid.UUID = Field(index=True)
    template: str = Field(max_length=80)
    channel: str = Field(max_length=20)
    status: str = Field(max_length=20, index=True)
    body: str
    created_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None
