"""Bulk import of a volunteer list: stream rows, validate, insert in chunks with their events.

Why chunks of their own transactions: memory stays flat whatever the file size, progress is
visible, and a re-run of the same file skips the rows already imported (NIK hash), so an
interrupted import is finished by importing the file again.
"""

from __future__ import annotations

import asyncio
import csv
import io
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from queue import Empty
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.registry.config import Settings
from services.registry.db.bulk import PreparedRows, insert_prepared, prepare_rows
from services.registry.db.tables import Volunteer, VolunteerImport, outbox
from services.registry.domain.errors import InvalidVolunteer
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit
from services.registry.service.drafts import VolunteerDraft, volunteer_values
from services.registry.service.spreadsheets import (
    SheetRow,
    UnreadableFile,
    read_chunks,
    read_rows,
)
from services.registry.service.volunteers import SOURCE, VOLUNTEERS
from shared.events.registry import VolunteerRegistered
from shared.ids import uuid7
from shared.outbox import correlation_id_var, outbox_row

Progress = Callable[[int], None]


@dataclass
class RowError:
    row: int
    field: str
    reason: str
    existing_id: uuid.UUID | None = None


@dataclass
class ImportTally:
    rows: int = 0
    imported: int = 0
    invalid: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)


def _parse_date(text: str | None) -> str | None:
    """ISO dates pass through; Indonesian dd/mm/yyyy or dd-mm-yyyy are converted."""
    if not text or ("/" not in text and text[2:3] != "-"):
        return text
    for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def draft_of(row: SheetRow) -> VolunteerDraft:
    """A registration draft from a sheet row (raises InvalidVolunteer naming the column)."""
    if row.nik_was_number:
        raise InvalidVolunteer(
            "nik",
            "was stored as a number, so the spreadsheet rounded it; format the column as text",
        )
    values: dict[str, Any] = {k: v for k, v in row.values.items() if v is not None}
    if "birth_date" in values:
        values["birth_date"] = _parse_date(values["birth_date"])
    if "sex" in values:
        values["sex"] = values["sex"].upper()[:1]
    try:
        return VolunteerDraft.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "row"
        raise InvalidVolunteer(name, err["msg"].split(",")[0]) from exc


def _row_values(
    row: SheetRow, *, actor: Actor, vault: NikVault, today: date, settings: Settings
) -> dict[str, Any]:
    draft = draft_of(row)
    values = volunteer_values(draft, vault=vault, today=today, minimum_age=settings.minimum_age)
    if not actor.sees(values["village_code"]):
        raise InvalidVolunteer("village_code", "is outside your region")
    values["id"] = uuid7()
    return values


def _event(v: dict[str, Any]) -> VolunteerRegistered:
    return VolunteerRegistered(
        volunteer_id=v["id"],
        village_code=v["village_code"],
        district_code=v["district_code"],
        regency_code=v["regency_code"],
        province_code=v["province_code"],
        region_dataset=v["region_dataset"],
        status="candidate",
        registered_at=v["registered_at"],
        birth_year=v["birth_date"].year,
        sex=v["sex"],
    )


def _chunks(rows: Iterable[SheetRow], size: int) -> Iterator[list[SheetRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


async def _existing(session: AsyncSession, hashes: list[str]) -> dict[str, uuid.UUID]:
    query = select(col(Volunteer.nik_hash), col(Volunteer.id)).where(
        col(Volunteer.nik_hash).in_(hashes)
    )
    return {str(h): i for h, i in (await session.execute(query)).all()}


@dataclass
class ChunkResult:
    """A validated chunk: row numbers and NIK hashes of the valid rows, and those rows and
    their outbox rows prepared for insertion (same order), ready to cross a process boundary.
    """

    valid: list[tuple[int, str]]
    volunteers: PreparedRows
    events: PreparedRows
    tally: ImportTally


@lru_cache(maxsize=4)
def _vault(enc_key: str, hash_key: str) -> NikVault:
    return NikVault(
        Settings(
            database_url="sqlite://",
            nik_encryption_key=SecretStr(enc_key),
            nik_hash_key=SecretStr(hash_key),
        )
    )


def validate_chunk(
    chunk: list[SheetRow], actor: Actor, settings: Settings, correlation_id: str | None = None
) -> ChunkResult:
    """Validate rows and prepare their inserts (pure CPU work: runs in worker processes for
    large files, so the writer only hands ready parameters to the database)."""
    vault = _vault(
        settings.nik_encryption_key.get_secret_value(), settings.nik_hash_key.get_secret_value()
    )
    tally, seen, today = ImportTally(), set(), date.today()
    valid: list[tuple[int, str]] = []
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in chunk:
        tally.rows += 1
        try:
            values = _row_values(row, actor=actor, vault=vault, today=today, settings=settings)
        except InvalidVolunteer as exc:
            tally.invalid += 1
            tally.errors.append(RowError(row.number, exc.field, exc.message))
            continue
        if values["nik_hash"] in seen:
            tally.duplicates += 1
            tally.errors.append(RowError(row.number, "nik", IN_FILE_DUPLICATE))
            continue
        seen.add(values["nik_hash"])
        valid.append((row.number, values["nik_hash"]))
        rows.append(values)
        events.append(outbox_row(_event(values), source=SOURCE, correlation_id=correlation_id))
    sqlite = settings.is_sqlite
    # Only the columns that have a value in this chunk (the others default to NULL).
    used = [k for k in rows[0] if any(r[k] is not None for r in rows)] if rows else []
    return ChunkResult(
        valid,
        prepare_rows(VOLUNTEERS, rows, used, sqlite=sqlite),
        prepare_rows(outbox, events, list(events[0]) if events else [], sqlite=sqlite),
        tally,
    )


IN_FILE_DUPLICATE = "this NIK appears twice in the file"
ALREADY_REGISTERED = "this NIK is already registered"


class Importer:
    """Runs one import with its own chunked transactions."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        actor: Actor,
        vault: NikVault,
        settings: Settings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.actor = actor
        self.vault = vault
        self.settings = settings
        self.tally = ImportTally()

    async def run(
        self, rows: Iterable[SheetRow], *, filename: str, progress: Progress | None = None
    ) -> VolunteerImport:
        """Import rows in this process; returns the stored import record and error report."""
        started = datetime.now(UTC)
        cid = correlation_id_var.get()
        for chunk in _chunks(rows, self.settings.import_chunk_size):
            await self._write(validate_chunk(chunk, self.actor, self.settings, cid), progress)
        return await self._finish(filename, started)

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
            return await self.run(read_rows(path), filename=filename, progress=progress)
        started = datetime.now(UTC)
        count = 1 if path.suffix.lower() == ".xlsx" else self.settings.import_workers
        ctx = _worker_context()
        queues: list[Any] = [ctx.Queue(maxsize=2) for _ in range(count)]
        workers = [
            ctx.Process(
                target=_read_and_validate,
                args=(str(path), self.actor, self.settings, correlation_id_var.get(), q),
                kwargs={"index": i, "of": count},
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
                item := await asyncio.to_thread(_next_result, queues[k % count], workers[k % count])
            ) is not None:
                await self._write(item, progress)
                k += 1
        finally:
            for worker in workers:
                worker.join(timeout=5)
                if worker.is_alive():
                    worker.terminate()
        return await self._finish(filename, started)

    async def _write(self, result: ChunkResult, progress: Progress | None) -> None:
        t = self.tally
        t.rows += result.tally.rows
        t.invalid += result.tally.invalid
        t.duplicates += result.tally.duplicates
        t.errors.extend(result.tally.errors)
        await self._import_chunk(result)
        if progress:
            progress(result.tally.rows)

    async def _import_chunk(self, result: ChunkResult) -> None:
        for attempt in (1, 2):
            try:
                async with self.sessionmaker() as session, session.begin():
                    imported, duplicates = await self._insert(session, result)
            except IntegrityError:
                # A registration raced us between the duplicate check and the insert:
                # the retry's check sees it and reports that row as a duplicate.
                if attempt == 2:
                    raise
                continue
            # Counted only once the chunk's transaction committed (a retry recounts).
            self.tally.imported += imported
            self.tally.duplicates += len(duplicates)
            self.tally.errors.extend(duplicates)
            return

    async def _insert(
        self, session: AsyncSession, result: ChunkResult
    ) -> tuple[int, list[RowError]]:
        """Insert the chunk's rows whose NIK is not registered yet, with their events."""
        if not result.valid:
            return 0, []
        if self.settings.is_sqlite:
            cache_kib = self.settings.import_sqlite_cache_mb * 1024
            await session.execute(text(f"PRAGMA cache_size=-{cache_kib}"))
        existing = await _existing(session, [h for _, h in result.valid])
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
        return len(keep), duplicates

    async def _finish(self, filename: str, started: datetime) -> VolunteerImport:
        t = self.tally
        record = VolunteerImport(
            actor=self.actor.subject,
            scope=self.actor.scope,
            filename=filename[:300],
            rows=t.rows,
            imported=t.imported,
            invalid=t.invalid,
            duplicates=t.duplicates,
            errors_csv=errors_csv(t.errors),
            started_at=started,
            finished_at=datetime.now(UTC),
        )
        async with self.sessionmaker() as session, session.begin():
            session.add(record)
            audit(
                session,
                self.actor,
                "volunteer.import",
                detail=f"import {record.id}: {t.imported} imported, {t.invalid} invalid, "
                f"{t.duplicates} duplicates",
            )
        return record


def errors_csv(errors: list[RowError]) -> str:
    """The downloadable error report: row, field, reason, existing record id."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "reason", "existing_volunteer_id"])
    for e in errors:
        writer.writerow([e.row, e.field, e.reason, e.existing_id or ""])
    return out.getvalue()


@dataclass(frozen=True)
class _WorkerFailure:
    message: str
    unreadable: bool


def _worker_context() -> Any:
    """Workers come from a fork server that imported this module once (not `fork`: this
    process runs threads; not `spawn`: each spawned worker spends ~2.5 CPU-seconds importing
    the same modules again, a tenth of a 100,000-row import's CPU)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # takes effect when the server first starts
    return ctx


def _read_and_validate(
    path: str,
    actor: Actor,
    settings: Settings,
    correlation_id: str | None,
    queue: Any,
    *,
    index: int = 0,
    of: int = 1,
) -> None:
    """Worker process: stream the file, validate chunks index, index + of, …; None ends."""
    try:
        for chunk in read_chunks(Path(path), settings.import_chunk_size, index=index, of=of):
            queue.put(validate_chunk(chunk, actor, settings, correlation_id))
        queue.put(None)
    except UnreadableFile as exc:
        queue.put(_WorkerFailure(str(exc), unreadable=True))
    except Exception as exc:
        queue.put(_WorkerFailure(f"import worker failed: {type(exc).__name__}", unreadable=False))


def _next_result(queue: Any, worker: multiprocessing.process.BaseProcess) -> ChunkResult | None:
    """The worker's next chunk (blocking; runs in a thread). Raises if the worker failed."""
    while True:
        try:
            item = queue.get(timeout=1.0)
        except Empty:
            if not worker.is_alive():
                raise RuntimeError("the import worker process died") from None
            continue
        if isinstance(item, _WorkerFailure):
            raise UnreadableFile(item.message) if item.unreadable else RuntimeError(item.message)
        return item  # type: ignore[no-any-return]


async def get_import(
    session: AsyncSession, import_id: uuid.UUID, actor: Actor
) -> VolunteerImport | None:
    """An import the actor may see (made within their scope)."""
    record = await session.get(VolunteerImport, import_id)
    return record if record is not None and actor.sees(record.scope) else None
