"""Reading and validating an import file's rows: pure CPU work, done in worker processes
for large files, so the service process only writes (`imports.Importer`).

Each chunk leaves here validated and prepared for insertion (`ChunkResult`): on SQLite its
rows are driver parameters already, with their `volunteer-registered` outbox rows.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from queue import Empty
from typing import Any

from pydantic import ValidationError

from services.registry.config import Settings
from services.registry.db.bulk import PreparedRows, prepare_rows
from services.registry.db.tables import outbox
from services.registry.domain.enums import VolunteerStatus
from services.registry.domain.errors import InvalidVolunteer, UnreadableFile, UploadTooLarge
from services.registry.nik_vault import NikVault, vault_for
from services.registry.service.access import Actor
from services.registry.service.drafts import VolunteerDraft, volunteer_values
from services.registry.service.spreadsheets import SheetLimits, SheetRow, read_chunks
from services.registry.service.volunteers import SOURCE, VOLUNTEERS
from shared.events.registry import VolunteerRegistered
from shared.ids import uuid7
from shared.outbox import outbox_row


@dataclass
class RowError:
    """Why one row of the file was not imported (a field and a reason, no values)."""

    row: int
    field: str
    reason: str
    existing_id: uuid.UUID | None = None


@dataclass
class ImportTally:
    """The counts of an import (or of one chunk of it) and its row errors."""

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
        message = str(err["msg"])
        # Our own rules (a ValueError in a validator) come as "Value error, <rule>"; pydantic's
        # messages are cut at the first comma (they hold no value from the file either way).
        if message.startswith("Value error, "):
            reason = message.removeprefix("Value error, ")
        else:
            reason = message.split(",")[0]
        raise InvalidVolunteer(name, reason) from exc


def _row_values(
    row: SheetRow, *, actor: Actor, vault: NikVault, now: datetime, today: date, settings: Settings
) -> dict[str, Any]:
    draft = draft_of(row)
    values = volunteer_values(
        draft, vault=vault, now=now, today=today, minimum_age=settings.minimum_age
    )
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
        status=VolunteerStatus.CANDIDATE,
        registered_at=v["registered_at"],
        birth_year=v["birth_date"].year,
        sex=v["sex"],
    )


@dataclass
class ChunkResult:
    """A validated chunk: row numbers and NIK hashes of the valid rows, and those rows and
    their outbox rows prepared for insertion (same order), ready to cross a process boundary.
    """

    valid: list[tuple[int, str]]
    volunteers: PreparedRows
    events: PreparedRows
    tally: ImportTally
    #: the volunteers' ids (same order), for their audit rows
    ids: list[uuid.UUID] = field(default_factory=list)
    #: the hash of a valid row's NIK under each older key → its active-key hash (an
    #: existing volunteer may still be stored under one until `registry rekey` ran)
    aliases: dict[str, str] = field(default_factory=dict)


def validate_chunk(
    chunk: list[SheetRow],
    actor: Actor,
    settings: Settings,
    correlation_id: str | None = None,
    *,
    now: datetime,
    today: date,
) -> ChunkResult:
    """Validate rows and prepare their inserts (pure CPU work: runs in worker processes for
    large files, so the writer only hands ready parameters to the database).

    `now` is the rows' registration time and `today` the day their age is checked on (the
    import's start, from the service's clock).
    """
    vault = vault_for(settings)
    aliases: dict[str, str] = {}
    tally, seen = ImportTally(), set()
    valid: list[tuple[int, str]] = []
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in chunk:
        tally.rows += 1
        try:
            values = _row_values(
                row, actor=actor, vault=vault, now=now, today=today, settings=settings
            )
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
        # The hashes this NIK may be stored under with older keys (during a rotation)
        nik = vault.decrypt(values["nik_encrypted"])
        aliases |= dict.fromkeys(vault.lookup_hashes(nik)[1:], values["nik_hash"])
        rows.append(values)
        events.append(
            outbox_row(_event(values), source=SOURCE, correlation_id=correlation_id, now=now)
        )
    sqlite = settings.is_sqlite
    # Only the columns that have a value in this chunk (the others default to NULL).
    used = [k for k in rows[0] if any(r[k] is not None for r in rows)] if rows else []
    return ChunkResult(
        valid,
        prepare_rows(VOLUNTEERS, rows, used, sqlite=sqlite),
        prepare_rows(outbox, events, list(events[0]) if events else [], sqlite=sqlite),
        tally,
        ids=[r["id"] for r in rows],
        aliases=aliases,
    )


IN_FILE_DUPLICATE = "this NIK appears twice in the file"


def limits_of(settings: Settings) -> SheetLimits:
    """The size limits of a list, from registry's settings."""
    return SheetLimits(
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
        max_uncompressed_bytes=settings.import_max_uncompressed_bytes,
    )


# The refusals a worker hands over as they are (the others become a RuntimeError).
_PASSED_ON: dict[str, type[UnreadableFile | UploadTooLarge]] = {
    "unreadable": UnreadableFile,
    "too_large": UploadTooLarge,
}


@dataclass(frozen=True)
class _WorkerFailure:
    message: str
    kind: str | None


def worker_context() -> Any:
    """Workers come from a fork server that imported this module once (not `fork`: this
    process runs threads; not `spawn`: each spawned worker spends ~2.5 CPU-seconds importing
    the same modules again, a tenth of a 100,000-row import's CPU)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # takes effect when the server first starts
    return ctx


def read_and_validate(
    path: str,
    actor: Actor,
    settings: Settings,
    correlation_id: str | None,
    queue: Any,
    *,
    now: datetime,
    today: date,
    index: int = 0,
    of: int = 1,
) -> None:
    """Worker process: stream the file, validate chunks index, index + of, …; None ends."""
    try:
        limits = limits_of(settings)
        for chunk in read_chunks(
            Path(path), settings.import_chunk_size, index=index, of=of, limits=limits
        ):
            queue.put(validate_chunk(chunk, actor, settings, correlation_id, now=now, today=today))
        queue.put(None)
    except UnreadableFile as exc:
        queue.put(_WorkerFailure(str(exc), kind="unreadable"))
    except UploadTooLarge as exc:
        queue.put(_WorkerFailure(str(exc), kind="too_large"))
    except Exception as exc:
        queue.put(_WorkerFailure(f"import worker failed: {type(exc).__name__}", kind=None))


def next_result(queue: Any, worker: multiprocessing.process.BaseProcess) -> ChunkResult | None:
    """The worker's next chunk (blocking; runs in a thread). Raises if the worker failed."""
    while True:
        try:
            item = queue.get(timeout=1.0)
        except Empty:
            if not worker.is_alive():
                raise RuntimeError("the import worker process died") from None
            continue
        if isinstance(item, _WorkerFailure):
            if item.kind is None:
                raise RuntimeError(item.message)
            raise _PASSED_ON[item.kind](item.message)
        return item  # type: ignore[no-any-return]
