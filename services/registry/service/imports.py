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
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.registry.config import Settings
from services.registry.db.bulk import insert_rows
from services.registry.db.tables import Volunteer, VolunteerImport, outbox
from services.registry.domain.errors import InvalidVolunteer
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit
from services.registry.service.drafts import VolunteerDraft, volunteer_values
from services.registry.service.spreadsheets import SheetRow, UnreadableFile, read_rows
from services.registry.service.volunteers import SOURCE, insert_volunteers
from shared.events.registry import VolunteerRegistered
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
    values["id"] = uuid.uuid4()
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


# (row number, volunteers row, its outbox row) — the outbox row is built in the worker too.
Valid = list[tuple[int, dict[str, Any], dict[str, Any]]]


@dataclass
class ChunkResult:
    valid: Valid
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
    """Validate rows (pure CPU work: runs in a worker process for large files)."""
    vault = _vault(
        settings.nik_encryption_key.get_secret_value(), settings.nik_hash_key.get_secret_value()
    )
    tally, valid, seen, today = ImportTally(), [], set(), date.today()
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
        event = outbox_row(_event(values), source=SOURCE, correlation_id=correlation_id)
        valid.append((row.number, values, event))
    return ChunkResult(valid, tally)


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
        """Import a CSV/XLSX file; large files are read and validated in a worker process.

        Why a worker process: reading and validating a row (NIK, phone, encryption) costs
        about as much CPU as writing it; a second process that reads and validates chunk
        N+1 while this one writes chunk N uses both cores. The queue holds at most two
        validated chunks, so memory stays flat whatever the file size.
        """
        if path.stat().st_size < self.settings.import_worker_min_bytes:  # noqa: ASYNC240
            return await self.run(read_rows(path), filename=filename, progress=progress)
        started = datetime.now(UTC)
        ctx = multiprocessing.get_context("spawn")  # not fork: this process runs threads
        queue: Any = ctx.Queue(maxsize=2)
        worker = ctx.Process(
            target=_read_and_validate,
            args=(str(path), self.actor, self.settings, correlation_id_var.get(), queue),
            daemon=True,
        )
        worker.start()
        try:
            while (item := await asyncio.to_thread(_next_result, queue, worker)) is not None:
                await self._write(item, progress)
        finally:
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
        await self._import_chunk(result.valid)
        if progress:
            progress(result.tally.rows)

    async def _import_chunk(self, valid: Valid) -> None:
        for attempt in (1, 2):
            try:
                async with self.sessionmaker() as session, session.begin():
                    await self._insert(session, valid)
                return
            except IntegrityError:
                # A registration raced us between the duplicate check and the insert:
                # the retry's check sees it and reports that row as a duplicate.
                if attempt == 2:
                    raise

    async def _insert(self, session: AsyncSession, valid: Valid) -> None:
        existing = await _existing(session, [v["nik_hash"] for _, v, _ in valid]) if valid else {}
        fresh, events = [], []
        for number, values, event in valid:
            if values["nik_hash"] in existing:
                self.tally.duplicates += 1
                self.tally.errors.append(
                    RowError(number, "nik", ALREADY_REGISTERED, existing[values["nik_hash"]])
                )
            else:
                fresh.append(values)
                events.append(event)
        if fresh:
            await insert_volunteers(session, fresh)
            # The same rows stage_events() writes (built by shared.outbox.outbox_row in the
            # worker process), inserted here in the volunteers' transaction.
            await insert_rows(session, outbox, events)
            session.info["outbox_staged"] = True
        self.tally.imported += len(fresh)

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


def _read_and_validate(
    path: str, actor: Actor, settings: Settings, correlation_id: str | None, queue: Any
) -> None:
    """Worker process: stream the file, validate chunk by chunk, hand results over; None ends."""
    try:
        for chunk in _chunks(read_rows(Path(path)), settings.import_chunk_size):
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
