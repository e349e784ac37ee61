"""List export of the volunteers of a region (CSV, XLSX): rows in keyset batches, so
memory stays flat whatever the region's size; cells neutralised against formulas; the
NIK masked unless the role may see it and asked for it; audited."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import Volunteer
from services.registry.domain.enums import AuditAction
from services.registry.domain.errors import FullNikRefused
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit
from services.registry.service.queries import VolunteerFilter, _conditions
from services.registry.service.volunteers import FULL_NIK_ROLES, nik_of
from shared.spreadsheets import safe_row

#: the export's columns (header row); no phone, e-mail or address: a list, not a dossier
HEADER = (
    "id",
    "nik",
    "full_name",
    "sex",
    "birth_date",
    "village_code",
    "regency_code",
    "status",
    "training_level",
    "registered_at",
)
BATCH_ROWS = 2000
_COLUMNS = (
    col(Volunteer.id),
    col(Volunteer.nik_encrypted),
    col(Volunteer.full_name),
    col(Volunteer.sex),
    col(Volunteer.birth_date),
    col(Volunteer.village_code),
    col(Volunteer.regency_code),
    col(Volunteer.status),
    col(Volunteer.training_level),
    col(Volunteer.registered_at),
)

ReadSessions = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


def record_export(
    session: AsyncSession,
    actor: Actor,
    f: VolunteerFilter,
    *,
    file_format: str,
    reveal_nik: bool,
    now: datetime,
) -> None:
    """Refuse a full-NIK export to a role that may not see NIKs (403), and audit the export
    (`volunteers.export`, plus `nik.read` when NIKs are shown in full)."""
    if reveal_nik and actor.role not in FULL_NIK_ROLES:
        raise FullNikRefused(actor.role)
    region = f.region or actor.scope
    detail = f"{file_format} region={region} nik={'full' if reveal_nik else 'masked'}"
    audit(session, actor, AuditAction.VOLUNTEERS_EXPORT, now=now, detail=detail)
    if reveal_nik:
        audit(session, actor, AuditAction.NIK_READ, now=now, detail=f"export {file_format}")


async def export_batches(
    sessions: ReadSessions,
    actor: Actor,
    f: VolunteerFilter,
    *,
    vault: NikVault,
    reveal_nik: bool,
) -> AsyncIterator[list[list[Any]]]:
    """The export's rows (cells already safe), `BATCH_ROWS` at a time, in registration
    order: one streamed query (a server-side cursor, `yield_per`), so only a batch is in
    memory at once. Not keyset pages: rows written by the bulk importer store their instant
    in another text form than a bound parameter, and a keyset compared across the two
    never advances on SQLite."""
    query = (
        select(*_COLUMNS)
        .where(and_(*_conditions(actor, f)))
        .order_by(col(Volunteer.registered_at), col(Volunteer.id))
        .execution_options(yield_per=BATCH_ROWS)
    )
    async with sessions() as session:
        result = await session.stream(query)
        async for rows in result.partitions(BATCH_ROWS):
            yield [_cells(row, vault, reveal_nik) for row in rows]


def _cells(row: Any, vault: NikVault, reveal_nik: bool) -> list[Any]:
    return safe_row(
        [
            str(row.id),
            nik_of(row, vault, full=reveal_nik),
            row.full_name,
            str(row.sex) if row.sex else None,
            row.birth_date.isoformat() if row.birth_date else None,
            row.village_code,
            row.regency_code,
            str(row.status),
            str(row.training_level) if row.training_level else None,
            row.registered_at.isoformat(),
        ]
    )
