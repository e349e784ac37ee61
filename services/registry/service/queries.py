"""Listing, searching and counting volunteers, always inside the actor's scope."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import StatusChange, Volunteer
from services.registry.domain.enums import TrainingLevel, VolunteerStatus
from services.registry.domain.lifecycle import levels_at_least
from services.registry.domain.volunteers import name_key
from services.registry.service.access import LEVEL_COLUMNS, Actor
from shared.errors import Invalid
from shared.i18n import t
from shared.regions import level_of

SORTS: dict[str, Any] = {
    "registered_at": Volunteer.__table__.c.registered_at,  # type: ignore[attr-defined]
    "full_name": Volunteer.__table__.c.name_search,  # type: ignore[attr-defined]
}
ID: Any = Volunteer.__table__.c.id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class VolunteerFilter:
    """What a list or a count is narrowed to (inside the actor's scope, always)."""

    region: str | None = None
    status: VolunteerStatus | None = None
    training_level: TrainingLevel | None = None
    name: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None


#: The volunteers table's own columns: conditions built on them skip the ORM attributes'
#: operator machinery (a list builds its statement on every request).
C = Volunteer.__table__.c  # type: ignore[attr-defined]
_SCOPE_COLUMNS = {"province": C.province_code, "regency": C.regency_code,
                  "district": C.district_code, "village": C.village_code}  # fmt: skip


def _region(code: str) -> ColumnElement[bool]:
    """`access.in_region` on the table's columns: the code's level's column equals it."""
    clause: ColumnElement[bool] = _SCOPE_COLUMNS[level_of(code)] == code
    return clause


def _scope(actor: Actor) -> list[ColumnElement[bool]]:
    """`access.in_scope` on the table's columns (national: no condition)."""
    return [] if actor.scope == "national" else [_region(actor.scope)]


def _conditions(actor: Actor, f: VolunteerFilter) -> list[ColumnElement[bool]]:
    """The actor's scope, living records, and the filters."""
    conds = [*_scope(actor), C.erased_at.is_(None)]
    if f.region:
        conds.append(_region(f.region))
    if f.status:
        conds.append(C.status == f.status)
    if f.training_level:
        conds.append(C.training_level.in_(levels_at_least(f.training_level)))
    if f.name:
        conds.append(C.name_search.contains(name_key(f.name), autoescape=True))
    if f.registered_from:
        conds.append(C.registered_at >= f.registered_from)
    if f.registered_to:
        conds.append(C.registered_at < f.registered_to)
    return conds


#: What a list shows (`api.schemas.summary`): rows, not ORM objects — a page of 50 entities
#: with all their columns costs more than the query itself.
SUMMARY_COLUMNS = tuple(
    C[name]
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


CURSOR_PATTERN = r"^[0-9a-f]{32}$"


class InvalidCursor(Invalid):
    """`after` is not the cursor of a page this operator was given (422)."""


INVALID_CURSOR = t(
    "after bukan kursor dari halaman sebelumnya", "after is not a cursor from a previous page"
)


def cursor_of(after: str | None) -> uuid.UUID | None:
    """The volunteer id a client's `after` cursor names (opaque to clients: the last row of
    the previous page); InvalidCursor for any other text (never echoed)."""
    if after is None:
        return None
    if not re.fullmatch(CURSOR_PATTERN, after):
        raise InvalidCursor(INVALID_CURSOR, errors=[{"field": "after", "message": INVALID_CURSOR}])
    return uuid.UUID(hex=after)


def cursor_text(volunteer_id: uuid.UUID) -> str:
    """The `after` cursor continuing a list after this volunteer (32 hex digits)."""
    return volunteer_id.hex


@dataclass(frozen=True)
class VolunteerList:
    """One page of a list: its rows (summary columns), the cursor of the next page (None
    on the last one) and, only when asked for, how many volunteers match in all."""

    rows: list[Row[Any]]
    next_after: uuid.UUID | None
    total: int | None = None


async def _position(
    session: AsyncSession, actor: Actor, after: uuid.UUID, column: Any
) -> tuple[Any, uuid.UUID] | None:
    """The sort value and id of the row a cursor names, if it lies in the actor's scope;
    None otherwise (another region's id is answered like an unknown one, an empty page: its
    position would tell something about a person the operator may not see)."""
    query = select(column).where(C.id == after, *_scope(actor))
    found = (await (await session.connection()).execute(query)).first()
    return None if found is None else (found[0], after)


async def list_volunteers(
    session: AsyncSession,
    actor: Actor,
    f: VolunteerFilter,
    *,
    sort: str = "-registered_at",
    limit: int = 50,
    offset: int = 0,
    after: uuid.UUID | None = None,
    count: bool = False,
) -> VolunteerList:
    """One page (summary columns) ordered by `sort` then id, so pages never overlap or skip.

    Keyset paging: `after` continues after the row it names (its sort value looked up,
    in the actor's scope; an unknown or out-of-scope row: an empty page), read straight from the index that starts with the scope's code
    and the sort column (`ix_volunteers_<level>_registered`); `offset` still works but
    re-reads every skipped row. The total is counted only when `count` (a COUNT over the
    scope's covering index, `ix_volunteers_<level>_status`): a list of 500,000 rows does
    not count them on every page.
    """
    conds = _conditions(actor, f)
    column = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    order = (column.desc(), ID.desc()) if descending else (column, ID)
    total = None
    # Core, not the ORM session's execute: the rows are plain tuples either way, and the
    # ORM's execution path costs more than the page's query on SQLite.
    conn = await session.connection()
    if count:
        query = select(func.count()).select_from(Volunteer).where(and_(*conds))
        total = int((await conn.execute(query)).scalar_one())
    if after is not None:
        position = await _position(session, actor, after, column)
        if position is None:
            return VolunteerList([], None, total)
        value, last = position
        key, at = tuple_(column, ID), tuple_(literal(value, column.type), literal(last, ID.type))
        conds.append(key < at if descending else key > at)
    query = select(*SUMMARY_COLUMNS).where(and_(*conds)).order_by(*order).limit(limit + 1)
    if offset:
        query = query.offset(offset)
    rows = list((await conn.execute(query)).all())
    more = len(rows) > limit
    del rows[limit:]
    return VolunteerList(rows, rows[-1].id if more else None, total)


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
