"""The delivery ledger over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from services.notifications import service
from shared.deps import ReadSession

router = APIRouter(prefix="/notifications", tags=["notifications"])


class NotificationPublic(BaseModel):
    id: uuid.UUID
    trigger_event_id: uuid.UUID
    recipient_id: uuid.UUID
    template: str
    channel: str
    status: str
    body: str
    created_at: datetime
    sent_at: datetime | None


@router.get("", response_model=list[NotificationPublic], summary="Notifications in the ledger")
async def list_notifications(
    session: ReadSession, volunteer_id: uuid.UUID | None = None, limit: int = 100
) -> list[NotificationPublic]:
    rows = await service.list_notifications(
        session, volunteer_id=volunteer_id, limit=min(limit, 1000)
    )
    return [NotificationPublic.model_validate(r, from_attributes=True) for r in rows]
