"""Read model of volunteers as training knows them (from registry events)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from services.training.service import volunteers
from shared.deps import ReadSession
from shared.problems import Problem

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


class KnownVolunteerPublic(BaseModel):
    volunteer_id: uuid.UUID
    village_code: str
    regency_code: str
    province_code: str
    status: str
    registered_at: datetime


@router.get(
    "/{volunteer_id}",
    response_model=KnownVolunteerPublic,
    summary="A volunteer as training knows it",
)
async def get_one(volunteer_id: uuid.UUID, session: ReadSession) -> KnownVolunteerPublic:
    known = await volunteers.get_known_volunteer(session, volunteer_id)
    if known is None:
        raise Problem(404, "Not found", f"training knows no volunteer {volunteer_id}")
    return KnownVolunteerPublic.model_validate(known, from_attributes=True)
