"""Internal API for platform services (role `service`): contact details and operators, audited.

Shared events carry no names or phone numbers; a service that must contact a person
(notifications) reads them here, and every read is written to the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from services.registry.api.deps import ServiceActor
from services.registry.db.tables import Volunteer
from services.registry.service import operators
from services.registry.service.access import audit, audit_each
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


MAX_BATCH = 500


class ContactsRequest(BaseModel):
    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)


class Contacts(BaseModel):
    """The contacts registry holds; `unknown` (never registered) and `erased` answer the rest."""

    contacts: list[Contact]
    unknown: list[uuid.UUID]
    erased: list[uuid.UUID]


class OperatorContact(BaseModel):
    operator_id: uuid.UUID
    email: str
    role: str
    scope: str


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


def _contact(row: Any) -> Contact:
    return Contact(
        volunteer_id=row.id,
        full_name=row.full_name,
        phone=row.phone,
        email=row.email,
        province_code=row.province_code,
        regency_code=row.regency_code,
        village_code=row.village_code,
        status=row.status,
    )


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
    return _contact(v)


@router.post("/contacts", response_model=Contacts)
async def contacts(body: ContactsRequest, session: Session, actor: ServiceActor) -> Contacts:
    """Contacts of up to 500 volunteers in one read; one `contact.read` audit row per id."""
    ids = list(dict.fromkeys(body.volunteer_ids))
    async with session.begin():
        found = await session.execute(select(*CONTACT_COLUMNS).where(col(Volunteer.id).in_(ids)))
        rows = {r.id: r for r in found}
        await audit_each(session, actor, "contact.read", ids, detail=f"batch of {len(ids)}")
    held = [rows[i] for i in ids if i in rows]
    return Contacts(
        contacts=[_contact(r) for r in held if r.erased_at is None],
        unknown=[i for i in ids if i not in rows],
        erased=[r.id for r in held if r.erased_at is not None],
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
