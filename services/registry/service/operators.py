"""Operator accounts (role + region scope) and the audit log query."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import AuditEntry, Operator
from services.registry.domain.enums import AuditAction, OperatorRole
from services.registry.domain.errors import OperatorExists
from services.registry.domain.operators import check_role_scope


async def create_operator(
    session: AsyncSession, *, email: str, role: OperatorRole, scope: str, now: datetime
) -> Operator:
    """A new operator account (email unique)."""
    check_role_scope(role, scope)
    found = await session.execute(select(Operator).where(col(Operator.email) == email.lower()))
    if found.scalar_one_or_none() is not None:
        raise OperatorExists("an operator with this email exists already")
    operator = Operator(email=email.lower(), role=role, scope=scope, created_at=now)
    session.add(operator)
    await session.flush()
    return operator


async def find_operator(session: AsyncSession, email: str) -> Operator | None:
    """The operator account of an email address, if any."""
    found = await session.execute(select(Operator).where(col(Operator.email) == email.lower()))
    return found.scalar_one_or_none()


def _enclosing_scopes(region: str) -> list[str]:
    parts = region.split(".")
    return ["national"] + [".".join(parts[: i + 1]) for i in range(len(parts))]


async def operators_for_region(session: AsyncSession, region: str) -> list[Operator]:
    """Active operators whose scope contains or equals `region` (or lies inside it)."""
    scope = col(Operator.scope)
    query = (
        select(Operator)
        .where(
            and_(
                col(Operator.active).is_(True),
                or_(scope.in_(_enclosing_scopes(region)), scope.startswith(region + ".")),
            )
        )
        .order_by(col(Operator.email))
    )
    return list((await session.execute(query)).scalars())


async def audit_entries(
    session: AsyncSession,
    *,
    volunteer_id: uuid.UUID | None = None,
    actor: str | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit log, newest first, filtered."""
    conds = []
    if volunteer_id:
        conds.append(col(AuditEntry.volunteer_id) == volunteer_id)
    if actor:
        conds.append(col(AuditEntry.actor) == actor)
    if action:
        conds.append(col(AuditEntry.action) == action)
    if since:
        conds.append(col(AuditEntry.at) >= since)
    query = (
        select(AuditEntry)
        .where(true(), *conds)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id))
        .limit(limit)
        .offset(offset)
    )
    return list((await session.execute(query)).scalars())


async def all_operators(session: AsyncSession) -> list[Operator]:
    """Every operator account, by email."""
    return list((await session.execute(select(Operator).order_by(col(Operator.email)))).scalars())
