"""Operator accounts (role, region scope, password) and the audit log query.

Who may manage whom is `domain.operators.may_manage`; which scope fits which role is
`shared.identity.check_role_scope` (the one rule, also applied to every token). Every change
is audited (actor = the token's subject; never a password or its hash) and every change that
alters what an operator's tokens say, or who holds them, revokes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import AuditEntry, Operator
from services.registry.domain.enums import AuditAction, OperatorRole, RevocationReason
from services.registry.domain.errors import (
    InvalidOperator,
    OperatorExists,
    OperatorNotFound,
    OutOfReach,
    WrongPassword,
)
from services.registry.domain.operators import check_new_password, may_manage
from services.registry.service.access import Actor, audit
from services.registry.service.passwords import Passwords
from services.registry.service.tokens import revoke_subject
from shared.i18n import t
from shared.identity import Role
from shared.identity import check_role_scope as identity_role_scope

# The scope level each role needs (`shared.identity`), as a message names it.
_LEVEL = {
    OperatorRole.NATIONAL_ADMIN: ("nasional", "national"),
    OperatorRole.PROVINCE_OPERATOR: ("provinsi", "province"),
    OperatorRole.REGENCY_OPERATOR: ("kabupaten/kota", "regency"),
}


def check_role_scope(role: OperatorRole, scope: str) -> None:
    """A national admin is national, a province operator has a province, a regency operator
    a regency, a viewer any scope (`shared.identity`'s rule); `InvalidOperator` (422)."""
    try:
        identity_role_scope(Role(role), scope)
    except ValueError as exc:
        level_id, level = _LEVEL.get(role, ("lain", "other"))
        raise InvalidOperator(
            t(
                "peran {role} memerlukan wilayah tingkat {level_id}",
                "a {role} needs a {level} scope",
                role=role,
                level_id=level_id,
                level=level,
            )
        ) from exc


def _check_reach(actor: Actor, role: OperatorRole, scope: str) -> None:
    if not may_manage(actor.role, actor.scope, role, scope):
        raise OutOfReach(
            t(
                "Anda tidak boleh mengelola akun dengan peran dan wilayah ini: operator provinsi "
                "mengelola operator kabupaten/kota dan viewer di kabupaten/kota provinsinya",
                "you may not manage an account with this role and scope: a province operator "
                "manages the regency operators and viewers of their province's regencies",
            )
        )


def _detail(operator: Operator) -> str:
    # ids, roles and scopes only: an email is personal data
    return f"operator {operator.id}: {operator.role} {operator.scope} active={operator.active}"


async def create_operator(
    session: AsyncSession,
    *,
    actor: Actor,
    email: str,
    role: OperatorRole,
    scope: str,
    password: str,
    passwords: Passwords,
    now: datetime,
) -> Operator:
    """A new operator account (email unique) with an initial password, created by an actor
    who may manage that role and scope; audited."""
    check_role_scope(role, scope)
    _check_reach(actor, role, scope)
    check_new_password(password, email=email)
    found = await session.execute(select(Operator).where(col(Operator.email) == email.lower()))
    if found.scalar_one_or_none() is not None:
        raise OperatorExists(
            t(
                "sudah ada akun operator dengan email ini",
                "an operator with this email exists already",
            )
        )
    operator = Operator(
        email=email.lower(),
        role=role,
        scope=scope,
        created_at=now,
        password_hash=await passwords.hash(password),
        password_changed_at=now,
    )
    session.add(operator)
    await session.flush()
    audit(session, actor, AuditAction.OPERATOR_CREATE, now=now, detail=_detail(operator))
    return operator


async def managed_operator(session: AsyncSession, operator_id: uuid.UUID, actor: Actor) -> Operator:
    """An account the actor may manage; any other is indistinguishable from none (404)."""
    operator = await session.get(Operator, operator_id)
    if operator is None or not may_manage(actor.role, actor.scope, operator.role, operator.scope):
        raise OperatorNotFound(operator_id)
    return operator


async def set_active(
    session: AsyncSession, operator_id: uuid.UUID, active: bool, *, actor: Actor, now: datetime
) -> Operator:
    """Disable (every token and login session of the account revoked at once) or enable an
    account; audited. Doing it twice changes nothing more."""
    operator = await managed_operator(session, operator_id, actor)
    if operator.active == active:
        return operator
    operator.active = active
    if not active:
        await revoke_subject(session, operator.id, RevocationReason.DISABLED, now=now)
    action = AuditAction.OPERATOR_ENABLE if active else AuditAction.OPERATOR_DISABLE
    audit(session, actor, action, now=now, detail=_detail(operator))
    await session.flush()
    return operator


async def change_role_scope(
    session: AsyncSession,
    operator_id: uuid.UUID,
    *,
    role: OperatorRole | None,
    scope: str | None,
    actor: Actor,
    now: datetime,
) -> Operator:
    """Give an account another role and/or scope (consistent, within the actor's reach
    before and after); its tokens are revoked, as they carry the old ones. Audited."""
    operator = await managed_operator(session, operator_id, actor)
    new_role = role if role is not None else operator.role
    new_scope = scope if scope is not None else operator.scope
    check_role_scope(new_role, new_scope)
    _check_reach(actor, new_role, new_scope)
    if (new_role, new_scope) == (operator.role, operator.scope):
        return operator
    reason = (
        RevocationReason.ROLE_CHANGED
        if new_role != operator.role
        else RevocationReason.SCOPE_CHANGED
    )
    before = f"{operator.role} {operator.scope}"
    operator.role, operator.scope = new_role, new_scope
    await revoke_subject(session, operator.id, reason, now=now)
    audit(
        session,
        actor,
        AuditAction.OPERATOR_ROLE_SCOPE,
        now=now,
        detail=f"operator {operator.id}: {before} -> {new_role} {new_scope}",
    )
    await session.flush()
    return operator


async def change_password(
    session: AsyncSession,
    *,
    actor: Actor,
    current: str,
    new: str,
    passwords: Passwords,
    now: datetime,
) -> None:
    """The caller's own password, given the current one (`WrongPassword`, 403, otherwise);
    every token and login session of the account is revoked (log in again). Audited."""
    try:
        operator_id = uuid.UUID(actor.subject)
    except ValueError:
        operator_id = None
    operator = await session.get(Operator, operator_id) if operator_id is not None else None
    if operator is None or not await passwords.verify(operator.password_hash, current):
        raise WrongPassword(
            t("kata sandi saat ini tidak cocok", "the current password does not match")
        )
    check_new_password(new, email=operator.email)
    await set_password(session, operator, new, passwords=passwords, actor=actor, now=now)


async def set_password(
    session: AsyncSession,
    operator: Operator,
    password: str,
    *,
    passwords: Passwords,
    actor: Actor,
    now: datetime,
) -> None:
    """Replace an account's password (checked by the caller) and revoke its tokens; audited."""
    operator.password_hash = await passwords.hash(password)
    operator.password_changed_at = now
    await revoke_subject(session, operator.id, RevocationReason.PASSWORD_CHANGED, now=now)
    audit(session, actor, AuditAction.OPERATOR_PASSWORD, now=now, detail=f"operator {operator.id}")
    await session.flush()


async def find_operator(session: AsyncSession, email: str) -> Operator | None:
    """The operator account of an email address, if any."""
    found = await session.execute(select(Operator).where(col(Operator.email) == email.lower()))
    return found.scalar_one_or_none()


async def list_operators(
    session: AsyncSession,
    *,
    actor: Actor,
    region: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Operator], int]:
    """The accounts the actor may manage (a national admin: all, or those around `region`;
    a province operator: their province's regency accounts), by email, and their total."""
    if actor.role == OperatorRole.NATIONAL_ADMIN:
        cond = _around(region) if region and region != "national" else true()
    else:
        cond = and_(
            col(Operator.scope).startswith(actor.scope + "."),
            col(Operator.role).in_([OperatorRole.REGENCY_OPERATOR, OperatorRole.VIEWER]),
        )
    total = (
        await session.execute(select(func.count()).select_from(Operator).where(cond))
    ).scalar_one()
    rows = await session.execute(
        select(Operator)
        .where(cond)
        .order_by(col(Operator.email), col(Operator.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


def _enclosing_scopes(region: str) -> list[str]:
    parts = region.split(".")
    return ["national"] + [".".join(parts[: i + 1]) for i in range(len(parts))]


def _around(region: str) -> Any:
    scope = col(Operator.scope)
    return or_(scope.in_(_enclosing_scopes(region)), scope.startswith(region + "."))


async def operators_for_region(session: AsyncSession, region: str) -> list[Operator]:
    """Active operators whose scope contains or equals `region` (or lies inside it)."""
    query = (
        select(Operator)
        .where(and_(col(Operator.active).is_(True), _around(region)))
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
