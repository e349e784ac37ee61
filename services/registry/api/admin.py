"""Administration: the audit log (national admins) and operator accounts (national admins,
and province operators for their regencies' accounts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from services.registry.api.deps import AdminActor, ManagerActor, State
from services.registry.api.schemas import REGION_PATTERN
from services.registry.domain.enums import AuditAction, OperatorRole
from services.registry.domain.errors import (
    InvalidOperator,
    OperatorExists,
    OperatorNotFound,
    OutOfReach,
    WeakPassword,
)
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
# shared.identity.check_role_scope, which the use-case applies too): a national admin is
# national, a province operator has a province, a regency operator a regency, a viewer any
# of them. The initial password: 12–256 characters, not a common one, not containing the
# email's name part (domain.operators.check_new_password).
class _NewAccount(BaseModel):
    email: str = Field(max_length=200, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=12, max_length=256, repr=False)


class NationalAdminCreate(_NewAccount):
    """A national admin account."""

    role: Literal[OperatorRole.NATIONAL_ADMIN]
    scope: Literal["national"]


class ProvinceOperatorCreate(_NewAccount):
    """A province operator account."""

    role: Literal[OperatorRole.PROVINCE_OPERATOR]
    scope: str = Field(pattern=PROVINCE_PATTERN, examples=["32"])


class RegencyOperatorCreate(_NewAccount):
    """A regency operator account."""

    role: Literal[OperatorRole.REGENCY_OPERATOR]
    scope: str = Field(pattern=REGENCY_PATTERN, examples=["32.76"])


class ViewerCreate(_NewAccount):
    """A viewer account (read only), national or regional."""

    role: Literal[OperatorRole.VIEWER]
    scope: str = Field(
        pattern=f"^national$|{PROVINCE_PATTERN}|{REGENCY_PATTERN}", examples=["32.76"]
    )


OperatorCreate = Annotated[
    NationalAdminCreate | ProvinceOperatorCreate | RegencyOperatorCreate | ViewerCreate,
    Body(discriminator="role"),
]


class OperatorChange(BaseModel):
    """A new role and/or scope (together they must fit: 422 otherwise)."""

    role: OperatorRole | None = None
    scope: str | None = Field(
        default=None,
        pattern=f"^national$|{PROVINCE_PATTERN}|{REGENCY_PATTERN}",
        examples=["32.76"],
    )


class OperatorPublic(BaseModel):
    """An operator account."""

    id: uuid.UUID
    email: str
    role: OperatorRole
    scope: str
    active: bool
    created_at: datetime


class OperatorPage(BaseModel):
    """One page of operator accounts, by email, and how many there are."""

    items: list[OperatorPublic]
    total: int
    limit: int
    offset: int


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


def _public(op: Any) -> OperatorPublic:
    return OperatorPublic.model_validate(op, from_attributes=True)


@router.post("/operators", status_code=201, response_model=OperatorPublic, summary="New operator")
@raises(InvalidOperator, OperatorExists, OutOfReach, WeakPassword)
async def create_operator(
    body: OperatorCreate, session: Session, actor: ManagerActor, state: State
) -> OperatorPublic:
    """Create an operator account with an initial password (national admins: any account;
    province operators: regency operators and viewers of their province's regencies)."""
    async with session.begin():
        op = await operators.create_operator(
            session,
            actor=actor,
            email=body.email,
            role=body.role,
            scope=body.scope,
            password=body.password,
            passwords=state.passwords,
            now=state.clock.now(),
        )
    return _public(op)


@router.get("/operators", response_model=OperatorPage, summary="Operator accounts")
async def list_operators(
    session: ReadSession,
    actor: ManagerActor,
    region: Annotated[
        str, Query(pattern=f"^national$|{REGION_PATTERN}", examples=["national", "32.76"])
    ] = "national",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> OperatorPage:
    """The accounts you manage, by email: a national admin every account (or those whose
    scope contains or lies in `region`), a province operator their regencies' accounts."""
    rows, total = await operators.list_operators(
        session, actor=actor, region=region, limit=limit, offset=offset
    )
    return OperatorPage(items=[_public(r) for r in rows], total=total, limit=limit, offset=offset)


@router.patch("/operators/{operator_id}", response_model=OperatorPublic, summary="Role or scope")
@raises(OperatorNotFound, InvalidOperator, OutOfReach)
async def change_operator(
    operator_id: uuid.UUID,
    body: OperatorChange,
    session: Session,
    actor: ManagerActor,
    state: State,
) -> OperatorPublic:
    """Give an account another role and/or scope; its tokens are revoked at every service
    (they carry the old ones): the operator logs in again."""
    async with session.begin():
        op = await operators.change_role_scope(
            session,
            operator_id,
            role=body.role,
            scope=body.scope,
            actor=actor,
            now=state.clock.now(),
        )
        public = _public(op)
    await state.own_revocations.reload()
    return public


@router.post("/operators/{operator_id}/disable", response_model=OperatorPublic, summary="Disable")
@raises(OperatorNotFound)
async def disable_operator(
    operator_id: uuid.UUID, session: Session, actor: ManagerActor, state: State
) -> OperatorPublic:
    """Disable an account: it cannot log in, and every token it holds is refused by every
    service within a minute (by registry at once)."""
    async with session.begin():
        op = await operators.set_active(
            session, operator_id, False, actor=actor, now=state.clock.now()
        )
        public = _public(op)
    await state.own_revocations.reload()
    return public


@router.post("/operators/{operator_id}/enable", response_model=OperatorPublic, summary="Enable")
@raises(OperatorNotFound)
async def enable_operator(
    operator_id: uuid.UUID, session: Session, actor: ManagerActor, state: State
) -> OperatorPublic:
    """Enable a disabled account again (it logs in anew; old tokens stay revoked)."""
    async with session.begin():
        op = await operators.set_active(
            session, operator_id, True, actor=actor, now=state.clock.now()
        )
        public = _public(op)
    return public
