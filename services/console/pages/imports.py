"""Impor: upload a CSV or XLSX list to registry's import, its result, and the per-row
error report to download (proxied with the operator's token)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from services.console.client import NotFound, Refused
from services.console.web import SignedIn, form_of, render, state_of

router = APIRouter()


@router.get("/impor")
async def import_page(request: Request, op: SignedIn) -> Response:
    """The upload form."""
    return render(request, "impor.html", operator=op, errors={})


@router.post("/impor")
async def upload(request: Request, op: SignedIn) -> Response:
    """Send the file to registry (which validates every row) and show the result."""
    form = await form_of(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return render(request, "impor.html", status=422, operator=op, errors={"file": "—"})
    content = await file.read()
    try:
        r = await state_of(request).api.send(
            "registry",
            "POST",
            "/volunteers/imports",
            token=op.token,
            language=op.language,
            files={
                "file": (file.filename, content, file.content_type or "application/octet-stream")
            },
        )
    except Refused as exc:
        return render(
            request, "impor.html", status=exc.status, operator=op, errors={"file": exc.detail}
        )
    return render(request, "impor_hasil.html", status=201, operator=op, report=r.json())


@router.get("/impor/{import_id}")
async def result(request: Request, op: SignedIn, import_id: str) -> Response:
    """An import's result."""
    report: dict[str, Any] = await state_of(request).api.json(
        "registry", f"/volunteers/imports/{_id(import_id)}", token=op.token, language=op.language
    )
    return render(request, "impor_hasil.html", operator=op, report=report)


@router.get("/impor/{import_id}/kesalahan.csv")
async def error_report(request: Request, op: SignedIn, import_id: str, baru: str = "") -> Response:
    """The per-row error report (row numbers and reasons, never the rows' values), in the
    operator's language; `?baru=1` leaves out the rows whose NIK was already registered."""
    iid = _id(import_id)
    query = "?include_registered=false" if baru == "1" else ""
    r = await state_of(request).api.send(
        "registry",
        "GET",
        f"/volunteers/imports/{iid}/errors.csv{query}",
        token=op.token,
        language=op.language,
    )
    return Response(
        r.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="impor-{iid}-kesalahan.csv"',
            "Cache-Control": "no-store",
        },
    )


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(404) from None
