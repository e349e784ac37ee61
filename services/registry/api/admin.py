"""National admins: the audit log and operator accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.registry.api.deps import AdminActor
from services.registry.service import operators
from shared.auth import Role
from shared.deps import ReadSession, Session
from shared.problems import Problem

router = APIRouter(tags=["admin"])


class AuditEntryPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str
    role: str
    action: str
    volunteer_id: uuid.UUID | None
    detail: str | None
    client_address: str | None


class OperatorCreate(BaseModel):
    email: str = Field(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    role: Role
    scope: str = Field(examples=["32.76"])


class OperatorPublic(BaseModel):
    id: uuid.UUID
    email: str
    role: str
    scope: str
    active: bool
    created_at: datetime


@router.get("/audit", response_model=list[AuditEntryPublic], summary="Audit log (national admins)")
async def audit_log(
    session: ReadSession,
    _: AdminActor,
    volunteer_id: uuid.UUID | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntryPublic]:
    """Who read or changed personal data, what, when and from where; newest first."""
    rows = await operators.audit_entries(
        session,
        volunteer_id=volunteer_id,
        actor=actor,
        action=action,
        since=since,
        limit=min(limit, 1000),
        offset=offset,
    )
    return [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/operators", status_code=201, response_model=OperatorPublic, summary="New operator")
async def create_operator(body: OperatorCreate, session: Session, _: AdminActor) -> OperatorPublic:
    """Create an operator account (tokens are issued with the CLI in development)."""
    try:
        async with session.begin():
            op = await operators.create_operator(
                session, email=body.email, role=body.role, scope=body.scope
            )
    except operators.InvalidOperator as exc:
        raise Problem(422, "Invalid operator", str(exc)) from exc
    return OperatorPublic.model_validate(op, from_attributes=True)


@router.get("/operators", response_model=list[OperatorPublic], summary="Operators of a region")
async def list_operators(
    session: ReadSession, _: AdminActor, region: str = "national"
) -> list[OperatorPublic]:
    rows = (
        await operators.operators_for_region(session, region)
        if region != "national"
        else await operators.all_operators(session)
    )
    return [OperatorPublic.model_validate(r, from_attributes=True) for r in rows]
