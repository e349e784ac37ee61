"""Bulk import over HTTP: the CSV/XLSX file (a form upload or the raw request body) is spooled
to a temporary file, then imported.

The upload is capped (`REGISTRY_MAX_UPLOAD_BYTES`): a declared Content-Length over the cap is
refused before any of the body is read, and the bytes are counted as they arrive, so an
oversized body is refused as soon as it passes the cap (never read whole into memory or
onto disk).

Operators are answered in Bahasa Indonesia unless `Accept-Language` prefers English: the
problems, and the error report's headers, column names and reasons."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.types import Message, Receive

from services.registry.api.deps import State, WriterActor
from services.registry.db.tables import VolunteerImport
from services.registry.domain.enums import ImportStatus
from services.registry.domain.errors import (
    ImportFailed,
    ImportNotFound,
    UnreadableFile,
    UploadTooLarge,
)
from services.registry.service.import_report import report_csv
from services.registry.service.imports import Importer, get_import
from shared.deps import ReadSession
from shared.i18n import language_of, t
from shared.problems import raises

router = APIRouter(prefix="/volunteers/imports", tags=["imports"])


class ImportReport(BaseModel):
    """The summary of one import; the row errors are at `errors_url`."""

    id: uuid.UUID
    filename: str
    status: ImportStatus
    rows: int
    imported: int
    invalid: int
    duplicates: int = Field(
        description="Rows not imported because their NIK is twice in the file or was "
        "already registered"
    )
    already_registered: int = Field(
        description="Of the duplicates, the rows whose NIK was registered before this "
        "import (left out of the error report with `?include_registered=false`)"
    )
    started_at: datetime
    finished_at: datetime | None
    errors_url: str


def _report(record: VolunteerImport) -> ImportReport:
    return ImportReport(
        **record.model_dump(exclude={"errors_csv", "actor", "scope", "updated_at"}),
        errors_url=f"/volunteers/imports/{record.id}/errors.csv",
    )


@router.post(
    "",
    status_code=201,
    response_model=ImportReport,
    summary="Import a CSV or XLSX volunteer list (form upload or raw body)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
@raises(UnreadableFile, UploadTooLarge, ImportFailed)
async def import_volunteers(
    request: Request,
    actor: WriterActor,
    state: State,
    filename: Annotated[str, Query(max_length=300)] = "upload",
) -> ImportReport:
    """Valid rows are imported; invalid and duplicate rows are listed in the error file.

    Upload the file as a form field `file` (`curl -F file=@list.xlsx`) or send it as the
    body (`curl --data-binary @list.csv -H 'Content-Type: text/csv'`). Rows outside your
    region are reported, not imported. Re-importing creates no duplicates.

    The header row may name the columns in Bahasa Indonesia or English, in any case and
    spacing: `NIK`; `Nama` / `Nama Lengkap` (`full_name`); `Tempat Lahir`; `Tanggal Lahir` /
    `Tgl Lahir`; `Jenis Kelamin` / `JK` / `L/P`; `Kode Desa` / `Kode Wilayah Desa` /
    `Kode Kelurahan`; `Alamat`; `No HP` / `Nomor HP` / `No Telp` / `Nomor WhatsApp`;
    `Email` / `Surel`; `Pendidikan`; `Pekerjaan`; `No IPSM` / `Nomor IPSM`. Other columns
    are not imported. Jenis kelamin may be `L`, `P`, `Laki-laki` or `Perempuan`; tanggal
    lahir `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY-MM-DD` or a date cell. A CSV may be saved by
    Excel in any of its CSV forms: UTF-8 (with or without BOM), "Unicode Text" (UTF-16),
    or "CSV (Comma delimited)" (Windows-1252), separated by commas, semicolons or tabs.

    The file may be at most `REGISTRY_MAX_UPLOAD_BYTES` (413 beyond). The import's record
    exists before its first row is written: if the import stops part-way, the problem
    carries `import_id` and the counts, and the record says `failed`.
    """
    limit = state.registry_settings.max_upload_bytes
    request = _capped(request, limit)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload"
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            filename = await _save_form_upload(request, path) or filename
        else:
            with path.open("wb") as f:
                async for chunk in request.stream():
                    f.write(chunk)
        importer = Importer(
            state.runtime.sessionmaker,
            actor=actor,
            vault=state.vault,
            settings=state.registry_settings,
            clock=state.clock,
        )
        record = await importer.run_file(path, filename=filename)
    return _report(record)


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        t(
            "unggahan lebih besar dari {limit} byte (REGISTRY_MAX_UPLOAD_BYTES)",
            "the upload is larger than {limit} bytes (REGISTRY_MAX_UPLOAD_BYTES)",
            limit=limit,
        ),
        limit_bytes=limit,
    )


def _capped(request: Request, limit: int) -> Request:
    """The request, refusing (UploadTooLarge) a body over `limit` bytes.

    A declared Content-Length is judged before anything is read; otherwise (chunked
    transfer, or a lying header) the bytes are counted as the server receives them, and
    the refusal comes as soon as the count passes the limit.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received = 0
    receive: Receive = request.receive

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit)
        return message

    return Request(request.scope, counting)


async def _save_form_upload(request: Request, path: Path) -> str | None:
    """Copy the form's `file` field to `path`; returns the uploaded file's name."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise UnreadableFile(
            t(
                "kirim daftarnya sebagai isian formulir 'file'",
                "send the list as the form field 'file'",
            )
        )
    with path.open("wb") as f:
        while chunk := await upload.read(1 << 20):
            f.write(chunk)
    return upload.filename


@router.get("/{import_id:uuid}", response_model=ImportReport, summary="An import's summary")
@raises(ImportNotFound)
async def get_report(
    import_id: uuid.UUID, session: ReadSession, actor: WriterActor
) -> ImportReport:
    """Counts of rows read, imported, invalid and duplicate."""
    return _report(await get_import(session, import_id, actor))


@router.get(
    "/{import_id:uuid}/errors.csv",
    summary="Download the per-row error report (CSV)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
@raises(ImportNotFound)
async def get_errors(
    import_id: uuid.UUID,
    request: Request,
    session: ReadSession,
    actor: WriterActor,
    include_registered: Annotated[
        bool,
        Query(
            description="List the rows refused only because their NIK was already registered "
            "(false: leave them out; the summary's `already_registered` counts them)"
        ),
    ] = True,
) -> Response:
    """One line per refused row, no personal data from the file.

    In Bahasa Indonesia (`Baris, Kolom, Alasan, ID relawan terdaftar`) unless
    `Accept-Language` prefers English (`row, field, reason, existing_volunteer_id`). A row
    refused because its NIK was registered before names that volunteer's id; with
    `?include_registered=false` those rows are left out (re-importing a corrected list
    then shows only the rows that still need fixing)."""
    record = await get_import(session, import_id, actor)
    language = language_of(request.headers)
    return Response(
        report_csv(record.errors_csv, language, include_registered=include_registered),
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"',
            "Content-Language": language,
            "Vary": "Accept-Language",
        },
    )
