"""Listing, searching and counting volunteers, always inside the actor's scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import StatusChange, Volunteer
from services.registry.domain.enums import TrainingLevel, VolunteerStatus
from services.registry.domain.lifecycle import levels_at_least
from services.registry.domain.volunteers import name_key
from services.registry.service.access import LEVEL_COLUMNS, Actor, in_region, in_scope

SORTS: dict[str, Any] = {
    "registered_at": col(Volunteer.registered_at),
    "full_name": col(Volunteer.name_search),
}


@dataclass(frozen=True)
class VolunteerFilter:
    """What a list or a count is narrowed to (inside the actor's scope, always)."""

    region: str | None = None
    status: VolunteerStatus | None = None
    training_level: TrainingLevel | None = None
    name: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None


def _conditions(actor: Actor, f: VolunteerFilter) -> list[ColumnElement[bool]]:
    conds = [in_scope(actor), col(Volunteer.erased_at).is_(None)]
    if f.region:
        conds.append(in_region(f.region))
    if f.status:
        conds.append(col(Volunteer.status) == f.status)
    if f.training_level:
        conds.append(col(Volunteer.training_level).in_(levels_at_least(f.training_level)))
    if f.name:
        conds.append(col(Volunteer.name_search).contains(name_key(f.name), autoescape=True))
    if f.registered_from:
        conds.append(col(Volunteer.registered_at) >= f.registered_from)
    if f.registered_to:
        conds.append(col(Volunteer.registered_at) < f.registered_to)
    return conds


#: What a list shows (`api.schemas.summary`): rows, not ORM objects — a page of 50 entities
#: with all their columns costs more than the query itself.
SUMMARY_COLUMNS = tuple(
    col(getattr(Volunteer, name))
    for name in (
        "id",
        "full_name",
        "nik_encrypted",
        "village_code",
        "regency_code",
        "province_code",
        "status",
        "training_level",
        "registered_at",
    )
)


async def list_volunteers(
    session: AsyncSession,
    actor: Actor,
    f: VolunteerFilter,
    *,
    sort: str = "-registered_at",
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Row[Any]]]:
    """One page (summary columns) and the total; ordered by `sort` then id, so pages never
    overlap or skip."""
    where = and_(*_conditions(actor, f))
    column = SORTS[sort.lstrip("-")]
    order = (
        (column.desc(), col(Volunteer.id).desc())
        if sort.startswith("-")
        else (column, col(Volunteer.id))
    )
    total = (
        await session.execute(select(func.count()).select_from(Volunteer).where(where))
    ).scalar_one()
    rows = await session.execute(
        select(*SUMMARY_COLUMNS).where(where).order_by(*order).limit(limit).offset(offset)
    )
    return int(total), list(rows.all())


async def count_by_region(
    session: AsyncSession, actor: Actor, f: VolunteerFilter, *, by: str
) -> list[tuple[str, int]]:
    """Volunteer counts grouped by province, regency, district or village."""
    key = LEVEL_COLUMNS[by]
    query = (
        select(key, func.count()).where(and_(*_conditions(actor, f))).group_by(key).order_by(key)
    )
    return [(str(code), int(n)) for code, n in (await session.execute(query)).all()]


async def status_history(session: AsyncSession, volunteer_id: uuid.UUID) -> list[StatusChange]:
    """Every status change of one volunteer, oldest first."""
    rows = await session.execute(
        select(StatusChange)
        .where(col(StatusChange.volunteer_id) == volunteer_id)
        .order_by(col(StatusChange.changed_at))
    )
    return list(rows.scalars())
