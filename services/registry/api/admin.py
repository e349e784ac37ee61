"""National admins: the audit log and operator accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from services.registry.api.deps import AdminActor, State
from services.registry.api.schemas import REGION_PATTERN
from services.registry.domain.enums import AuditAction, OperatorRole
from services.registry.domain.errors import InvalidOperator, OperatorExists
from services.registry.service import operators
from shared.deps import ReadSession, Session
from shared.fields import SPACE, IsoDateTime
from shared.problems import raises

router = APIRouter(tags=["admin"])

EMAIL_PATTERN = rf"^[^@{SPACE}]+@[^@{SPACE}]+$"
PROVINCE_PATTERN = r"^[0-9]{2}$"
REGENCY_PATTERN = r"^[0-9]{2}\.[0-9]{2}$"


class AuditEntryPublic(BaseModel):
    """One audited access to or change of personal data."""

    id: uuid.UUID
    at: datetime
    actor: str
    role: str
    action: AuditAction
    volunteer_id: uuid.UUID | None
    detail: str | None
    client_address: str | None


# One body per role, so the schema states which scope fits which role (the rule of
# domain.operators.check_role_scope): a national admin is national, a province operator
# has a province, a regency operator a regency, a viewer any of them.
class NationalAdminCreate(BaseModel):
    """A national admin account."""

    email: str = Field(max_length=200, pattern=EMAIL_PATTERN)
    role: Literal[OperatorRole.NATIONAL_ADMIN]
    scope: Literal["national"]


class ProvinceOperatorCreate(BaseModel):
    """A province operator account."""

    email: str = Field(max_length=200, pattern=EMAIL_PATTERN)
    role: Literal[OperatorRole.PROVINCE_OPERATOR]
    scope: str = Field(pattern=PROVINCE_PATTERN, examples=["32"])


class RegencyOperatorCreate(BaseModel):
    """A regency operator account."""

    email: str = Field(max_length=200, pattern=EMAIL_PATTERN)
    role: Literal[OperatorRole.REGENCY_OPERATOR]
    scope: str = Field(pattern=REGENCY_PATTERN, examples=["32.76"])


class ViewerCreate(BaseModel):
    """A viewer account (read only), national or regional."""

    email: str = Field(max_length=200, pattern=EMAIL_PATTERN)
    role: Literal[OperatorRole.VIEWER]
    scope: str = Field(pattern=f"^national$|{REGION_PATTERN}", examples=["32.76"])


OperatorCreate = Annotated[
    NationalAdminCreate | ProvinceOperatorCreate | RegencyOperatorCreate | ViewerCreate,
    Body(discriminator="role"),
]


class OperatorPublic(BaseModel):
    """An operator account."""

    id: uuid.UUID
    email: str
    role: OperatorRole
    scope: str
    active: bool
    created_at: datetime


@router.get("/audit", response_model=list[AuditEntryPublic], summary="Audit log (national admins)")
async def audit_log(
    session: ReadSession,
    _: AdminActor,
    volunteer_id: uuid.UUID | None = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: AuditAction | None = None,
    since: IsoDateTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[AuditEntryPublic]:
    """Who read or changed personal data, what, when and from where; newest first."""
    rows = await operators.audit_entries(
        session,
        volunteer_id=volunteer_id,
        actor=actor,
        action=action,
        since=since,
        limit=limit,
        offset=offset,
    )
    return [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/operators",
    status_code=201,
    response_model=OperatorPublic,
    summary="New operator",
)
@raises(InvalidOperator, OperatorExists)
async def create_operator(
    body: OperatorCreate, session: Session, _: AdminActor, state: State
) -> OperatorPublic:
    """Create an operator account (tokens are issued with the CLI in development)."""
    async with session.begin():
        op = await operators.create_operator(
            session, email=body.email, role=body.role, scope=body.scope, now=state.clock.now()
        )
    return OperatorPublic.model_validate(op, from_attributes=True)


@router.get("/operators", response_model=list[OperatorPublic], summary="Operators of a region")
async def list_operators(
    session: ReadSession,
    _: AdminActor,
    region: Annotated[
        str, Query(pattern=f"^national$|{REGION_PATTERN}", examples=["national", "32.76"])
    ] = "national",
) -> list[OperatorPublic]:
    """Every operator account (`national`), or the active ones around a region."""
    rows = (
        await operators.operators_for_region(session, region)
        if region != "national"
        else await operators.all_operators(session)
    )
    return [OperatorPublic.model_validate(r, from_attributes=True) for r in rows]
