"""Read model of volunteers as training knows them (from registry events)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from services.training.domain.enums import VolunteerStatus
from services.training.domain.errors import VolunteerNotFound
from services.training.service import volunteers
from shared.auth import CurrentPrincipal
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


class KnownVolunteerPublic(BaseModel):
    """A volunteer's region and status as training knows them (no name, no NIK)."""

    volunteer_id: uuid.UUID
    village_code: str
    regency_code: str
    province_code: str
    status: VolunteerStatus
    registered_at: datetime


@router.get(
    "/{volunteer_id}",
    response_model=KnownVolunteerPublic,
    summary="A volunteer as training knows it",
)
@raises(VolunteerNotFound)
async def get_one(
    volunteer_id: uuid.UUID, principal: CurrentPrincipal, session: ReadSession
) -> KnownVolunteerPublic:
    """The read-model row built from registry's events (operators; 404 outside their scope)."""
    known = await volunteers.get_known_volunteer(session, volunteer_id, principal=principal)
    return KnownVolunteerPublic.model_validate(known, from_attributes=True)
