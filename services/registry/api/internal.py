"""Internal API for platform services (service tokens holding a permission): contact details
and operators (`contacts:read`, audited) and token revocations (`revocations:read`).

Shared events carry no names or phone numbers; a service that must contact a person
(notifications) reads them here, and every read is written to the audit log.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.registry.api.deps import ContactsReader, RevocationsReader, State
from services.registry.api.schemas import REGION_PATTERN
from services.registry.domain.enums import OperatorRole, VolunteerStatus
from services.registry.domain.errors import Erased, VolunteerNotFound
from services.registry.service import contacts as service
from services.registry.service import tokens
from shared.deps import ReadSession, Session
from shared.problems import raises

router = APIRouter(prefix="/internal", tags=["internal"])


class Contact(BaseModel):
    """How to reach one volunteer."""

    volunteer_id: uuid.UUID
    full_name: str
    phone: str | None
    email: str | None
    province_code: str
    regency_code: str
    village_code: str
    status: VolunteerStatus


MAX_BATCH = 500


class ContactsRequest(BaseModel):
    """The volunteers whose contacts are asked for."""

    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)


class Contacts(BaseModel):
    """The contacts registry holds; `unknown` (never registered) and `erased` answer the rest."""

    contacts: list[Contact]
    unknown: list[uuid.UUID]
    erased: list[uuid.UUID]


class OperatorContact(BaseModel):
    """How to reach one operator."""

    operator_id: uuid.UUID
    email: str
    role: OperatorRole
    scope: str


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


@router.get("/volunteers/{volunteer_id:uuid}/contact", response_model=Contact)
@raises(VolunteerNotFound, Erased)
async def contact(
    volunteer_id: uuid.UUID, session: Session, actor: ContactsReader, state: State
) -> Contact:
    """Name, phone (E.164) and email of one volunteer; 410 once erased. Audited."""
    async with session.begin():
        found = await service.audited_read(
            session, volunteer_id, actor=actor, now=state.clock.now()
        )
    # Checked after the commit: a refused read is audited too.
    return _contact(service.readable(found, volunteer_id))


@router.post("/contacts", response_model=Contacts)
async def contacts(
    body: ContactsRequest, session: Session, actor: ContactsReader, state: State
) -> Contacts:
    """Contacts of up to 500 volunteers in one read; one `contact.read` audit row per id."""
    ids = list(dict.fromkeys(body.volunteer_ids))
    async with session.begin():
        rows = await service.audited_batch(session, ids, actor=actor, now=state.clock.now())
    held = [rows[i] for i in ids if i in rows]
    return Contacts(
        contacts=[_contact(r) for r in held if r.erased_at is None],
        unknown=[i for i in ids if i not in rows],
        erased=[r.id for r in held if r.erased_at is not None],
    )


@router.get("/operators", response_model=list[OperatorContact])
async def operators_of_region(
    region: Annotated[
        str, Query(pattern=f"^national$|{REGION_PATTERN}", examples=["national", "32.76"])
    ],
    session: Session,
    actor: ContactsReader,
    state: State,
) -> list[OperatorContact]:
    """Operators whose scope contains, equals or lies inside `region` (daily digest). Audited."""
    async with session.begin():
        rows = await service.operators_of_region(
            session, region, actor=actor, now=state.clock.now()
        )
    return [
        OperatorContact(operator_id=o.id, email=o.email, role=o.role, scope=o.scope) for o in rows
    ]


class RevocationEntry(BaseModel):
    """Tokens of `subject` issued at or before `at` (POSIX seconds) are refused; with a
    `session`, only that login session's."""

    subject: str
    at: float
    session: str | None


class RevocationFeed(BaseModel):
    """Every revocation younger than the longest token lifetime plus a minute, as of `as_of`
    (registry's clock, POSIX seconds)."""

    as_of: float
    revocations: list[RevocationEntry]


@router.get("/revocations", response_model=RevocationFeed)
async def revocations(_: RevocationsReader, session: ReadSession, state: State) -> RevocationFeed:
    """What every verifier must refuse (training and notifications poll this)."""
    now = state.clock.now()
    entries = await tokens.recent_revocations(session, now=now)
    return RevocationFeed(
        as_of=now.timestamp(),
        revocations=[
            RevocationEntry(subject=e.subject, at=e.at, session=e.session) for e in entries
        ],
    )
