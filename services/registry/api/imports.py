"""Bulk import over HTTP: the CSV/XLSX file (a form upload or the raw request body) is spooled
to a temporary file, then imported."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.registry.api.deps import State, WriterActor
from services.registry.db.tables import VolunteerImport
from services.registry.domain.errors import ImportNotFound, UnreadableFile
from services.registry.service.imports import Importer, get_import
from shared.deps import ReadSession
from shared.problems import raises

router = APIRouter(prefix="/volunteers/imports", tags=["imports"])


class ImportReport(BaseModel):
    """The summary of one import; the row errors are at `errors_url`."""

    id: uuid.UUID
    filename: str
    rows: int
    imported: int
    invalid: int
    duplicates: int
    started_at: datetime
    finished_at: datetime | None
    errors_url: str


def _report(record: VolunteerImport) -> ImportReport:
    return ImportReport(
        **record.model_dump(exclude={"errors_csv", "actor", "scope"}),
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
@raises(UnreadableFile)
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
    """
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


async def _save_form_upload(request: Request, path: Path) -> str | None:
    """Copy the form's `file` field to `path`; returns the uploaded file's name."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise UnreadableFile("send the list as the form field 'file'")
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
async def get_errors(import_id: uuid.UUID, session: ReadSession, actor: WriterActor) -> Response:
    """row, field, reason, existing_volunteer_id — no personal data from the file."""
    record = await get_import(session, import_id, actor)
    return Response(
        record.errors_csv,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )
