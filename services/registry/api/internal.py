"""Internal API for platform services (role `service`): contact details and operators, audited.

Shared events carry no names or phone numbers; a service that must contact a person
(notifications) reads them here, and every read is written to the audit log.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from services.registry.api.deps import ServiceActor
from services.registry.db.tables import Volunteer
from services.registry.service import operators
from services.registry.service.access import audit
from shared.deps import Session
from shared.problems import Problem
from shared.regions import is_region_code

router = APIRouter(prefix="/internal", tags=["internal"])


class Contact(BaseModel):
    volunteer_id: uuid.UUID
    full_name: str
    phone: str | None
    email: str | None
    province_code: str
    regency_code: str
    village_code: str
    status: str


class OperatorContact(BaseModel):
    operator_id: uuid.UUID
    email: str
    role: str
    scope: str


@router.get("/volunteers/{volunteer_id}/contact", response_model=Contact)
async def contact(volunteer_id: uuid.UUID, session: Session, actor: ServiceActor) -> Contact:
    """Name, phone (E.164) and email of one volunteer; 410 once erased. Audited."""
    async with session.begin():
        v = await session.get(Volunteer, volunteer_id)
        audit(session, actor, "contact.read", volunteer_id=volunteer_id)
    if v is None:
        raise Problem(404, "Not found", f"no volunteer {volunteer_id}")
    if v.erased_at is not None:
        raise Problem(410, "Erased", "this volunteer's data was erased on their request")
    return Contact(
        volunteer_id=v.id,
        full_name=v.full_name,
        phone=v.phone,
        email=v.email,
        province_code=v.province_code,
        regency_code=v.regency_code,
        village_code=v.village_code,
        status=v.status,
    )


@router.get("/operators", response_model=list[OperatorContact])
async def operators_of_region(
    region: str, session: Session, actor: ServiceActor
) -> list[OperatorContact]:
    """Operators whose scope contains, equals or lies inside `region` (daily digest). Audited."""
    if region != "national" and not is_region_code(region):
        raise Problem(422, "Invalid request", "region must be a Kemendagri code like 32.76")
    async with session.begin():
        rows = (
            await operators.all_operators(session)
            if region == "national"
            else await operators.operators_for_region(session, region)
        )
        audit(session, actor, "operators.read", detail=f"region {region}")
    return [
        OperatorContact(operator_id=o.id, email=o.email, role=o.role, scope=o.scope)
        for o in rows
        if o.active
    ]
