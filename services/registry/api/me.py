"""A volunteer's own record, read with their volunteer token (from a one-time link).

The id is the token's subject, never a request parameter, so a volunteer can only ever read
their own record. Each read is audited with the volunteer as the actor.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.registry.api.deps import State
from services.registry.db.tables import Volunteer
from services.registry.domain.enums import AuditAction, TrainingLevel, VolunteerStatus
from services.registry.domain.errors import Erased, VolunteerNotFound
from services.registry.domain.regions import region_name
from services.registry.service import queries
from services.registry.service.access import Actor, audit
from services.registry.service.volunteers import nik_of
from shared.auth import CurrentVolunteer
from shared.deps import Session
from shared.problems import raises

router = APIRouter(prefix="/me", tags=["volunteer page"])


class OwnStatusChange(BaseModel):
    """One change of the volunteer's status (the operator's words stay with operators)."""

    old_status: VolunteerStatus | None
    new_status: VolunteerStatus
    changed_at: datetime


class Place(BaseModel):
    """A region by code and name."""

    code: str
    name: str | None


class OwnRecord(BaseModel):
    """What the volunteer's page shows of their registry record."""

    id: uuid.UUID
    full_name: str
    nik: str | None = Field(description="masked: 3276********0001")
    status: VolunteerStatus
    training_level: TrainingLevel | None
    village: Place
    district: Place
    regency: Place
    province: Place
    registered_at: datetime
    history: list[OwnStatusChange]


def _place(code: str) -> Place:
    return Place(code=code, name=region_name(code))


@router.get("", response_model=OwnRecord, summary="The volunteer's own record (volunteer token)")
@raises(VolunteerNotFound, Erased)
async def own_record(
    principal: CurrentVolunteer, session: Session, state: State, request: Request
) -> OwnRecord:
    """Status, Bimtek level, domicile with region names, the masked NIK and the status
    history of the volunteer named by the token (audited)."""
    volunteer_id = uuid.UUID(principal.subject)
    address = request.client.host if request.client else None
    async with session.begin():
        v = await session.get(Volunteer, volunteer_id)
        if v is None:
            raise VolunteerNotFound(volunteer_id)
        if v.erased_at is not None:
            raise Erased()
        audit(
            session,
            Actor.of(principal, address),
            AuditAction.VOLUNTEER_READ,
            now=state.clock.now(),
            volunteer_id=v.id,
            detail="own page",
        )
        history = await queries.status_history(session, volunteer_id)
    return OwnRecord(
        id=v.id,
        full_name=v.full_name,
        nik=nik_of(v, state.vault, full=False),
        status=v.status,
        training_level=v.training_level,
        village=_place(v.village_code),
        district=_place(v.district_code),
        regency=_place(v.regency_code),
        province=_place(v.province_code),
        registered_at=v.registered_at,
        history=[OwnStatusChange.model_validate(h, from_attributes=True) for h in history],
    )
