"""Bulk import of a volunteer list: stream rows, validate, insert in chunks with their events.

Why chunks of their own transactions: memory stays flat whatever the file size, progress is
visible, and a re-run of the same file skips the rows already imported (NIK hash), so an
interrupted import is finished by importing the file again.

Accountable: the import's record (status `running`) is committed before the first row is
written; each chunk's transaction inserts its volunteers, their outbox events, one
`volunteer.create` audit row per volunteer (one multi-row INSERT) and the record's new counts
and `updated_at`. So whatever stops the import, the record says exactly what is in the
register: an error marks it `failed` (and the caller gets its id), a killed process leaves
it `running` until the start-up sweep (`mark_interrupted`) marks it `interrupted`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.registry.config import Settings
from services.registry.db.bulk import insert_prepared
from services.registry.db.tables import Volunteer, VolunteerImport, outbox
from services.registry.domain.enums import AuditAction, ImportStatus
from services.registry.domain.errors import ImportFailed, ImportNotFound
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit, audit_each
from services.registry.service.import_report import errors_csv, stored_report
from services.registry.service.import_rows import (
    ChunkResult,
    ImportTally,
    RowError,
    limits_of,
    next_result,
    read_and_validate,
    validate_chunk,
    worker_context,
)
from services.registry.service.spreadsheets import SheetRow, chunks, read_rows
from services.registry.service.volunteers import VOLUNTEERS
from shared.clock import Clock
from shared.errors import DomainError
from shared.i18n import t
from shared.logging import get_logger
from shared.outbox import correlation_id_var

__all__ = ["Importer", "errors_csv", "get_import", "mark_interrupted"]

Progress = Callable[[int], None]
log = get_logger("registry.imports")
IMPORTS = VolunteerImport.__table__  # type: ignore[attr-defined]


async def _existing(session: AsyncSession, hashes: list[str]) -> dict[str, uuid.UUID]:
    query = select(col(Volunteer.nik_hash), col(Volunteer.id)).where(
        col(Volunteer.nik_hash).in_(hashes)
    )
    return {str(h): i for h, i in (await session.execute(query)).all()}


ALREADY_REGISTERED = t("NIK ini sudah terdaftar", "this NIK is already registered")


class Importer:
    """Runs one import with its own chunked transactions."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        actor: Actor,
        vault: NikVault,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.actor = actor
        self.vault = vault
        self.settings = settings
        self.clock = clock
        self.tally = ImportTally()
        self._record_id: uuid.UUID | None = None

    async def run(
        self, rows: Iterable[SheetRow], *, filename: str, progress: Progress | None = None
    ) -> VolunteerImport:
        """Import rows in this process; returns the stored import record and error report."""
        record = await self._begin(filename)
        try:
            today = self.clock.today()
            cid = correlation_id_var.get()
            for chunk in chunks(iter(rows), self.settings.import_chunk_size):
                result = validate_chunk(
                    chunk, self.actor, self.settings, cid, now=record.started_at, today=today
                )
                await self._write(result, progress)
        except Exception as exc:
            raise await self._failed(record, exc) from exc
        return await self._finish(record)

    async def run_file(
        self, path: Path, *, filename: str, progress: Progress | None = None
    ) -> VolunteerImport:
        """Import a CSV/XLSX file; large files are read and validated in worker processes.

        Why worker processes: reading, validating, encrypting and preparing a row costs about
        twice the CPU of writing it. Workers each take every n-th chunk of the file and hand
        it over ready to insert, while this process writes the chunks in file order. Each
        queue holds at most two chunks, so memory stays flat whatever the file size.
        """
        if path.stat().st_size < self.settings.import_worker_min_bytes:  # noqa: ASYNC240
            rows = read_rows(path, limits_of(self.settings))
            return await self.run(rows, filename=filename, progress=progress)
        record = await self._begin(filename)
        try:
            await self._run_workers(path, record.started_at, progress)
        except Exception as exc:
            raise await self._failed(record, exc) from exc
        return await self._finish(record)

    async def _run_workers(self, path: Path, started: datetime, progress: Progress | None) -> None:
        today = self.clock.today()
        count = 1 if path.suffix.lower() == ".xlsx" else self.settings.import_workers
        ctx = worker_context()
        queues: list[Any] = [ctx.Queue(maxsize=2) for _ in range(count)]
        workers = [
            ctx.Process(
                target=read_and_validate,
                args=(str(path), self.actor, self.settings, correlation_id_var.get(), q),
                kwargs={"index": i, "of": count, "now": started, "today": today},
                daemon=True,
            )
            for i, q in enumerate(queues)
        ]
        for worker in workers:
            worker.start()
        try:
            # Chunk k comes from worker k % count; the first missing chunk ends the file.
            k = 0
            while (
                item := await asyncio.to_thread(next_result, queues[k % count], workers[k % count])
            ) is not None:
                await self._write(item, progress)
                k += 1
        finally:
            for worker in workers:
                worker.join(timeout=5)
                if worker.is_alive():
                    worker.terminate()

    async def _begin(self, filename: str) -> VolunteerImport:
        """The import's record, committed before any row is written."""
        now = self.clock.now()
        record = VolunteerImport(
            actor=self.actor.subject,
            scope=self.actor.scope,
            filename=filename[:300],
            status=ImportStatus.RUNNING,
            started_at=now,
            updated_at=now,
        )
        async with self.sessionmaker(expire_on_commit=False) as session, session.begin():
            session.add(record)
        self._record_id = record.id
        return record

    async def _write(self, result: ChunkResult, progress: Progress | None) -> None:
        tally = self.tally
        tally.rows += result.tally.rows
        tally.invalid += result.tally.invalid
        tally.duplicates += result.tally.duplicates
        tally.errors.extend(result.tally.errors)
        await self._import_chunk(result)
        if progress:
            progress(result.tally.rows)

    async def _import_chunk(self, result: ChunkResult) -> None:
        for attempt in (1, 2):
            try:
                async with self.sessionmaker() as session, session.begin():
                    imported, duplicates = await self._insert(session, result)
                    await self._progress(session, imported, len(duplicates))
            except IntegrityError:
                # A registration raced us between the duplicate check and the insert:
                # the retry's check sees it and reports that row as a duplicate.
                if attempt == 2:
                    raise
                continue
            # Counted only once the chunk's transaction committed (a retry recounts).
            self.tally.imported += imported
            self.tally.duplicates += len(duplicates)
            self.tally.already_registered += len(duplicates)
            self.tally.errors.extend(duplicates)
            return

    async def _progress(self, session: AsyncSession, imported: int, duplicates: int) -> None:
        """The record's counts as of this chunk, in the chunk's transaction (the heartbeat)."""
        tally = self.tally
        await session.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == self.record_id)
            .values(
                rows=tally.rows,
                imported=tally.imported + imported,
                invalid=tally.invalid,
                duplicates=tally.duplicates + duplicates,
                already_registered=tally.already_registered + duplicates,
                updated_at=self.clock.now(),
            )
        )

    async def _insert(
        self, session: AsyncSession, result: ChunkResult
    ) -> tuple[int, list[RowError]]:
        """Insert the chunk's rows whose NIK is not registered yet, with their events."""
        if not result.valid:
            return 0, []
        if self.settings.is_sqlite:
            cache_kib = self.settings.import_sqlite_cache_mb * 1024
            await session.execute(text(f"PRAGMA cache_size=-{cache_kib}"))
        existing = await _existing(session, [h for _, h in result.valid] + list(result.aliases))
        for alias, active in result.aliases.items():  # found under an older key
            if alias in existing:
                existing.setdefault(active, existing[alias])
        keep: list[int] = []
        duplicates: list[RowError] = []
        for i, (number, nik_hash) in enumerate(result.valid):
            if nik_hash in existing:
                duplicates.append(RowError(number, "nik", ALREADY_REGISTERED, existing[nik_hash]))
            else:
                keep.append(i)
        if keep:
            whole = len(keep) == len(result.valid)
            volunteers = result.volunteers if whole else result.volunteers.subset(keep)
            events = result.events if whole else result.events.subset(keep)
            await insert_prepared(session, VOLUNTEERS, volunteers)
            # The same rows stage_events() writes (built by shared.outbox.outbox_row where
            # the chunk was validated), inserted in the volunteers' transaction.
            await insert_prepared(session, outbox, events)
            session.info["outbox_staged"] = True
            # Every created record is in the audit log: one multi-row INSERT per chunk.
            ids = result.ids if whole else [result.ids[i] for i in keep]
            await audit_each(
                session,
                self.actor,
                AuditAction.VOLUNTEER_CREATE,
                ids,
                now=self.clock.now(),
                detail=f"import {self.record_id}",
            )
        return len(keep), duplicates

    @property
    def record_id(self) -> uuid.UUID:
        """The id of the import's record (written by `_begin`)."""
        if self._record_id is None:
            raise RuntimeError("the import has not begun")
        return self._record_id

    async def _close(self, record: VolunteerImport, status: ImportStatus) -> None:
        tally = self.tally
        now = self.clock.now()
        values = {
            "status": status,
            "rows": tally.rows,
            "imported": tally.imported,
            "invalid": tally.invalid,
            "duplicates": tally.duplicates,
            "already_registered": tally.already_registered,
            "errors_csv": stored_report(tally.errors),
            "updated_at": now,
            "finished_at": now,
        }
        async with self.sessionmaker() as session, session.begin():
            await session.execute(update(IMPORTS).where(IMPORTS.c.id == record.id).values(values))
            audit(
                session,
                self.actor,
                AuditAction.VOLUNTEER_IMPORT,
                now=now,
                detail=f"import {record.id} {status}: {tally.imported} imported, {tally.invalid} "
                f"invalid, {tally.duplicates} duplicates",
            )
        for name, value in values.items():
            setattr(record, name, value)

    async def _finish(self, record: VolunteerImport) -> VolunteerImport:
        await self._close(record, ImportStatus.COMPLETED)
        return record

    async def _failed(self, record: VolunteerImport, exc: Exception) -> DomainError:
        """Mark the import failed; the error to answer, carrying its id and counts."""
        tally = self.tally
        counts = {"rows": tally.rows, "imported": tally.imported, "invalid": tally.invalid}
        # The type only: a database error's message can hold a row's values.
        log.warning("import failed", import_id=str(record.id), error=type(exc).__name__, **counts)
        try:
            await self._close(record, ImportStatus.FAILED)
        except Exception as close_exc:  # the database is gone: the sweep will mark it
            log.warning("import not marked failed", error=type(close_exc).__name__)
        extra: dict[str, Any] = {
            "import_id": str(record.id),
            "import_url": f"/volunteers/imports/{record.id}",
            **counts,
        }
        if isinstance(exc, DomainError):
            exc.extra.update(extra)
            return exc
        return ImportFailed(
            t(
                "impor {id} terhenti setelah {imported} baris masuk; impor ulang berkas yang "
                "sama akan melewati baris-baris itu dan menyelesaikannya",
                "import {id} stopped after {imported} imported rows; "
                "importing the file again skips them and finishes it",
                id=record.id,
                imported=tally.imported,
            ),
            **extra,
        )


async def mark_interrupted(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, stale_after_s: float
) -> int:
    """Mark `interrupted` the imports still `running` with no progress for `stale_after_s`.

    Run at start-up: their process died (an import records progress at every chunk, so a
    live one, in this replica or another, is never that stale). Returns how many.
    """
    async with sessionmaker() as session, session.begin():
        result = await session.execute(
            update(IMPORTS)
            .where(
                IMPORTS.c.status == ImportStatus.RUNNING,
                IMPORTS.c.updated_at < now - timedelta(seconds=stale_after_s),
            )
            .values(status=ImportStatus.INTERRUPTED, finished_at=now)
        )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.warning("imports marked interrupted", count=count)
    return count


async def get_import(session: AsyncSession, import_id: uuid.UUID, actor: Actor) -> VolunteerImport:
    """An import the actor may see (made within their scope); ImportNotFound otherwise."""
    record = await session.get(VolunteerImport, import_id)
    if record is None or not actor.sees(record.scope):
        raise ImportNotFound(import_id)
    return record
