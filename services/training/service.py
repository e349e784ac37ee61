"""training use-cases. Never commit: the caller owns the transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.training.db.tables import KnownVolunteer
from shared.events.registry import VolunteerRegistered


async def record_volunteer(session: AsyncSession, event: VolunteerRegistered) -> KnownVolunteer:
    """Add (or refresh) a volunteer in the read model from `volunteer-registered`."""
    known = await session.get(KnownVolunteer, event.volunteer_id)
    if known is None:
        known = KnownVolunteer(
            volunteer_id=event.volunteer_id,
            village_code=event.village_code,
            regency_code=event.regency_code,
            province_code=event.province_code,
            status=event.status,
            registered_at=event.registered_at,
            updated_at=datetime.now(UTC),
        )
        session.add(known)
    return known


async def get_known_volunteer(
    session: AsyncSession, volunteer_id: uuid.UUID
) -> KnownVolunteer | None:
    return await session.get(KnownVolunteer, volunteer_id)
