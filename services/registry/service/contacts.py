"""Contact details and operators for platform services (notifications), every read audited.

Shared events carry no names or phone numbers; a service that must contact a person reads
them here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import Operator, Volunteer
from services.registry.domain.enums import AuditAction
from services.registry.domain.errors import Erased, VolunteerNotFound
from services.registry.service import operators
from services.registry.service.access import Actor, audit, audit_each

CONTACT_COLUMNS = (
    col(Volunteer.id),
    col(Volunteer.full_name),
    col(Volunteer.phone),
    col(Volunteer.email),
    col(Volunteer.province_code),
    col(Volunteer.regency_code),
    col(Volunteer.village_code),
    col(Volunteer.status),
    col(Volunteer.erased_at),
)


async def audited_read(
    session: AsyncSession, volunteer_id: uuid.UUID, *, actor: Actor, now: datetime
) -> Volunteer | None:
    """One volunteer (None if unknown); the attempt is audited whatever it finds."""
    found = await session.get(Volunteer, volunteer_id)
    audit(session, actor, AuditAction.CONTACT_READ, now=now, volunteer_id=volunteer_id)
    return found


def readable(v: Volunteer | None, volunteer_id: uuid.UUID) -> Volunteer:
    """The volunteer whose contact may be given: VolunteerNotFound or Erased otherwise."""
    if v is None:
        raise VolunteerNotFound(volunteer_id)
    if v.erased_at is not None:
        raise Erased()
    return v


async def audited_batch(
    session: AsyncSession, ids: list[uuid.UUID], *, actor: Actor, now: datetime
) -> dict[uuid.UUID, Any]:
    """The contact rows of the ids registry holds (erased ones included), one audit row per id."""
    found = await session.execute(select(*CONTACT_COLUMNS).where(col(Volunteer.id).in_(ids)))
    rows = {r.id: r for r in found}
    await audit_each(
        session, actor, AuditAction.CONTACT_READ, ids, now=now, detail=f"batch of {len(ids)}"
    )
    return rows


async def operators_of_region(
    session: AsyncSession, region: str, *, actor: Actor, now: datetime
) -> list[Operator]:
    """Active operators whose scope contains, equals or lies inside `region`; audited."""
    rows = (
        await operators.all_operators(session)
        if region == "national"
        else await operators.operators_for_region(session, region)
    )
    audit(session, actor, AuditAction.OPERATORS_READ, now=now, detail=f"region {region}")
    return [o for o in rows if o.active]
