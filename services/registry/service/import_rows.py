"""Reading and validating an import file's rows: pure CPU work, done in worker processes
for large files, so the service process only writes (`imports.Importer`).

Each chunk leaves here validated and prepared for insertion (`ChunkResult`): on SQLite its
rows are driver parameters already, with their `volunteer-registered` outbox rows.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import re
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
from shared.i18n import Text, t
from shared.ids import uuid7
from shared.outbox import outbox_row


@dataclass
class RowError:
    """Why one row of the file was not imported (a field and a reason, no values).

    `existing_id` is set on a row refused only because its NIK is already registered."""

    row: int
    field: str
    reason: Text | str
    existing_id: uuid.UUID | None = None


@dataclass
class ImportTally:
    """The counts of an import (or of one chunk of it) and its row errors."""

    rows: int = 0
    imported: int = 0
    invalid: int = 0
    duplicates: int = 0
    #: of the duplicates, the rows whose NIK was registered before (not twice in the file)
    already_registered: int = 0
    errors: list[RowError] = field(default_factory=list)


# Dates as operators write them: day first (17-05-1990, 17/05/1990, 17.05.1990, 7/5/1990),
# ISO (1990-05-17, also 1990/05/17), or ISO with a midnight time (a date cell exported).
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?")


def _parse_date(text: str | None) -> str | None:
    """An ISO date for the ways an Indonesian list writes one; anything else as it is
    (refused by the draft's date rule)."""
    if not text:
        return text
    if found := _DAY_FIRST.fullmatch(text):
        day, month, year = found.groups()
    elif found := _YEAR_FIRST.fullmatch(text):
        year, month, day = found.groups()
    else:
        return text
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return text


# Jenis kelamin as lists write it (compared lower case, letters only).
_SEX = {
    "l": "L",
    "lk": "L",
    "lakilaki": "L",
    "laki": "L",
    "pria": "L",
    "male": "L",
    "m": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
    "female": "P",
    "f": "P",
}


def _parse_sex(text: str) -> str:
    """`L` or `P` for the ways a list writes a sex; anything else as it is (refused)."""
    return _SEX.get("".join(ch for ch in text.lower() if ch.isalpha()), text)


ROUNDED_CELL = t(
    "NIK tersimpan sebagai angka sehingga dibulatkan oleh aplikasi lembar kerja; format "
    "kolom NIK sebagai teks",
    "was stored as a number, so the spreadsheet rounded it; format the column as text",
)

# Why a row's cell was refused, by pydantic's error type (our own rules carry a `Text`).
# Pydantic's own messages are never shown: they are English only.
_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("wajib diisi", "Field required"),
    "string_type": ("harus berupa teks", "Input should be a valid string"),
    "string_too_short": ("wajib diisi", "String should have at least 1 character"),
    "string_too_long": (
        "terlalu panjang (maksimal {max_length} karakter)",
        "String should have at most {max_length} characters",
    ),
    "string_pattern_mismatch": ("formatnya tidak sesuai", "String should match pattern"),
    "enum": ("harus salah satu dari: {expected}", "Input should be {expected}"),
    "date_from_datetime_parsing": (
        "harus berupa tanggal (HH-BB-TTTT atau TTTT-BB-HH)",
        "Input should be a valid date (DD-MM-YYYY or YYYY-MM-DD)",
    ),
}
_REASONS["date_parsing"] = _REASONS["date_type"] = _REASONS["date_from_datetime_parsing"]
_FIELD_REASONS: dict[tuple[str, str], Text] = {
    ("sex", "enum"): t("harus L (laki-laki) atau P (perempuan)", "Input should be 'L' or 'P'"),
    ("email", "string_pattern_mismatch"): t(
        "bukan alamat email yang sah", "is not a valid email address"
    ),
}


def row_reason(err: Any) -> Text:
    """Why pydantic refused a row's cell, in both languages (never the cell's value)."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, Exception) and cause.args and isinstance(cause.args[0], Text):
        return cause.args[0]
    name = ".".join(str(p) for p in err["loc"])
    kind = str(err["type"])
    if (name, kind) in _FIELD_REASONS:
        return _FIELD_REASONS[name, kind]
    # Pydantic's English is cut at the first comma: it holds no value from the file then.
    english = str(err["msg"]).removeprefix("Value error, ").split(",")[0]
    pair = _REASONS.get(kind)
    if pair is None:
        return Text("nilai tidak valid", english)
    try:
        return Text(pair[0].format(**(err.get("ctx") or {})), english)
    except (KeyError, IndexError, ValueError):
        return Text(pair[0], english)


def draft_of(row: SheetRow) -> VolunteerDraft:
    """A registration draft from a sheet row (raises InvalidVolunteer naming the column)."""
    if row.nik_was_number:
        raise InvalidVolunteer("nik", ROUNDED_CELL)
    values: dict[str, Any] = {k: v for k, v in row.values.items() if v is not None}
    if "birth_date" in values:
        values["birth_date"] = _parse_date(values["birth_date"])
    if "sex" in values:
        values["sex"] = _parse_sex(values["sex"])
    try:
        return VolunteerDraft.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "row"
        raise InvalidVolunteer(name, row_reason(err)) from exc


def _row_values(
    row: SheetRow, *, actor: Actor, vault: NikVault, now: datetime, today: date, settings: Settings
) -> tuple[dict[str, Any], str]:
    """The row's column values and its NIK (as hashed)."""
    draft = draft_of(row)
    values = volunteer_values(
        draft, vault=vault, now=now, today=today, minimum_age=settings.minimum_age
    )
    if not actor.sees(values["village_code"]):
        raise InvalidVolunteer("village_code", OUTSIDE_REGION)
    values["id"] = uuid7()
    return values, draft.nik.strip()


def _older_hashes(vault: NikVault, nik: str, nik_hash: str, *, one_key: bool) -> list[str]:
    """The hashes this NIK may be stored under besides `nik_hash` (`lookup_hashes[1:]`):
    with one hash key that is only its version-1 form, the same MAC unprefixed, so
    nothing is computed again (the keyed hash is one of the costliest steps of a row)."""
    if one_key:
        return [nik_hash.split(":", 1)[1]]
    return vault.lookup_hashes(nik)[1:]


def _one_hash_key(settings: Settings) -> bool:
    """Whether the vault hashes with the active key only (no previous keys configured)."""
    return all(kid == settings.nik_hash_key_id for kid in settings.nik_previous_hash_keys)


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
    one_key = _one_hash_key(settings)
    aliases: dict[str, str] = {}
    tally, seen = ImportTally(), set()
    valid: list[tuple[int, str]] = []
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in chunk:
        tally.rows += 1
        try:
            values, nik = _row_values(
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
        older = _older_hashes(vault, nik, values["nik_hash"], one_key=one_key)
        aliases |= dict.fromkeys(older, values["nik_hash"])
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


IN_FILE_DUPLICATE = t(
    "NIK ini muncul dua kali di dalam berkas", "this NIK appears twice in the file"
)
OUTSIDE_REGION = t("desa/kelurahan ini di luar wilayah Anda", "is outside your region")


def limits_of(settings: Settings) -> SheetLimits:
    """The size limits of a list, from registry's settings."""
    return SheetLimits(
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
        max_uncompressed_bytes=settings.import_max_uncompressed_bytes,
    )


@dataclass(frozen=True)
class _WorkerFailure:
    message: Text | str
    kind: str | None
    extra: dict[str, Any] = field(default_factory=dict)


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
        queue.put(_WorkerFailure(exc.text, kind="unreadable"))
    except UploadTooLarge as exc:
        queue.put(_WorkerFailure(exc.text, kind="too_large", extra=exc.extra))
    except Exception as exc:
        queue.put(_WorkerFailure(f"import worker failed: {type(exc).__name__}", kind=None))


def _text(message: Text | str) -> Text:
    return message if isinstance(message, Text) else Text(message, message)


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
                raise RuntimeError(str(item.message))
            if item.kind == "unreadable":
                raise UnreadableFile(_text(item.message))
            raise UploadTooLarge(item.message, **item.extra)
        return item  # type: ignore[no-any-return]
