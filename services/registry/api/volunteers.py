"""HTTP routes for volunteers (thin: validate, open the transaction, call service.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.registry import service
from services.registry.domain.volunteers import InvalidVolunteer
from shared.deps import ReadSession, Session
from shared.problems import Problem

router = APIRouter(prefix="/volunteers", tags=["volunteers"])


class VolunteerCreate(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    village_code: str = Field(examples=["32.76.01.1001"])
    phone: str | None = Field(default=None, max_length=20)


class VolunteerPublic(BaseModel):
    id: uuid.UUID
    village_code: str
    regency_code: str
    province_code: str
    region_dataset: str
    status: str
    registered_at: datetime


@router.post(
    "", status_code=201, response_model=VolunteerPublic, summary="Register a volunteer (candidate)"
)
async def register(body: VolunteerCreate, session: Session) -> VolunteerPublic:
    """Record a candidate PSM; `volunteer-registered` is published via the outbox."""
    try:
        async with session.begin():
            v = await service.register_volunteer(session, **body.model_dump())
    except InvalidVolunteer as exc:
        raise Problem(
            422,
            "Invalid volunteer",
            str(exc),
            errors=[{"field": exc.field, "message": exc.message}],
        ) from exc
    return VolunteerPublic.model_validate(v, from_attributes=True)


@router.get("/{volunteer_id}", response_model=VolunteerPublic, summary="One volunteer")
async def get_one(volunteer_id: uuid.UUID, session: ReadSession) -> VolunteerPublic:
    v = await service.get_volunteer(session, volunteer_id)
    if v is None:
        raise Problem(404, "Not found", f"no volunteer {volunteer_id}")
    return VolunteerPublic.model_validate(v, from_attributes=True)
