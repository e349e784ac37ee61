"""registry use-cases: take a session, apply domain rules, stage events. Never commit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.db.tables import Volunteer, outbox
from services.registry.domain.regions import DATASET_VERSION, village_exists
from services.registry.domain.volunteers import domicile_of
from shared.events.registry import VolunteerRegistered
from shared.outbox import stage_event

SOURCE = "registry"


async def register_volunteer(
    session: AsyncSession, *, full_name: str, village_code: str, phone: str | None = None
) -> Volunteer:
    """Record a new candidate and stage `volunteer-registered` in the same transaction."""
    domicile = domicile_of(village_code, exists=village_exists(village_code))
    volunteer = Volunteer(
        full_name=full_name, phone=phone, region_dataset=DATASET_VERSION, **domicile.__dict__
    )
    session.add(volunteer)
    await session.flush()
    await stage_event(session, outbox, registered_event(volunteer), source=SOURCE)
    return volunteer


def registered_event(v: Volunteer) -> VolunteerRegistered:
    return VolunteerRegistered(
        volunteer_id=v.id,
        village_code=v.village_code,
        district_code=v.district_code,
        regency_code=v.regency_code,
        province_code=v.province_code,
        region_dataset=v.region_dataset,
        status=v.status,
        registered_at=v.registered_at,
    )


async def get_volunteer(session: AsyncSession, volunteer_id: uuid.UUID) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)
