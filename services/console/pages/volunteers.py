"""PSM list: filters, search by name or NIK (in a form body, never in the URL), paging
and the registry's exports, always with the operator's own token."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from services.console.client import NotFound, Refused
from services.console.web import Operator, SignedIn, form_of, render, state_of

router = APIRouter()

PAGE = 25
STATUSES = ("candidate", "active", "inactive", "resigned", "revoked", "deceased")
LEVELS = ("dasar", "lanjutan", "khusus")
REGION = re.compile(r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$")
#: registry's list cursor (opaque; what its X-Next-Cursor gave)
CURSOR = re.compile(r"^[0-9a-f]{32}$")


def filters_of(values: Any) -> dict[str, str]:
    """The non-personal filters (status, level, region) a request names, validated."""
    found: dict[str, str] = {}
    if (status := values.get("status")) in STATUSES:
        found["status"] = status
    if (level := values.get("training_level")) in LEVELS:
        found["training_level"] = level
    region = str(values.get("region") or "").strip()
    if REGION.match(region):
        found["region"] = region
    return found


def _paging(after: Any) -> dict[str, Any]:
    """Registry's paging parameters: the first page counts the total, a later one continues
    after the cursor the previous page gave (`setelah`)."""
    cursor = str(after or "")
    return (
        {"limit": PAGE, "after": cursor} if CURSOR.match(cursor) else {"limit": PAGE, "total": True}
    )


async def _list(request: Request, op: Operator, params: dict[str, Any]) -> dict[str, Any]:
    """One page of registry's list, with the cursor of the next one (`next`, or None)."""
    r = await state_of(request).api.send(
        "registry", "GET", "/volunteers", token=op.token, language=op.language, params=params
    )
    page: dict[str, Any] = r.json()
    page["next"] = r.headers.get("x-next-cursor")
    return page


@router.get("/psm")
async def list_page(request: Request, op: SignedIn) -> Response:
    """The PSM of the operator's region, newest first; filters in the URL carry no
    personal data (status, level, region code, the next page's cursor)."""
    filters = filters_of(request.query_params)
    page = await _list(request, op, {**filters, **_paging(request.query_params.get("setelah"))})
    return render(request, "psm_list.html", operator=op, page=page, filters=filters, search={})


@router.post("/psm")
async def search(request: Request, op: SignedIn) -> Response:
    """Search by name (registry's name filter) or by NIK (registry's POST /volunteers/search,
    the NIK in the body); the terms stay in the form, never in a URL."""
    form = await form_of(request)
    filters = filters_of(form)
    name = str(form.get("name") or "").strip()
    nik = re.sub(r"\D", "", str(form.get("nik") or ""))
    errors: dict[str, str] = {}
    page: dict[str, Any] = {"items": [], "total": 0, "limit": PAGE, "offset": 0}
    try:
        if form.get("nik"):
            r = await state_of(request).api.send(
                "registry",
                "POST",
                "/volunteers/search",
                token=op.token,
                language=op.language,
                json={"nik": nik},
            )
            page = r.json()
        else:
            params = {**filters, **_paging(form.get("setelah"))}
            if name:
                params["name"] = name
            page = await _list(request, op, params)
    except Refused as exc:
        errors = exc.field_errors or {"nik" if form.get("nik") else "name": exc.detail}
    search_terms = {"name": name, "nik": str(form.get("nik") or "")}
    return render(
        request,
        "psm_list.html",
        status=422 if errors else 200,
        operator=op,
        page=page,
        filters=filters,
        search=search_terms,
        errors=errors,
    )


@router.get("/psm/ekspor.{kind}")
async def export(request: Request, op: SignedIn, kind: str) -> Response:
    """Registry's CSV or XLSX export of the filtered list, streamed through (NIK masked)."""
    if kind not in ("csv", "xlsx"):
        raise NotFound(404)
    filters = filters_of(request.query_params)
    client = state_of(request).api
    upstream = await client.send(
        "registry",
        "GET",
        f"/volunteers/export.{kind}",
        token=op.token,
        language=op.language,
        params=filters,
    )
    headers = {
        k: v
        for k, v in upstream.headers.items()
        if k.lower() in ("content-type", "content-disposition")
    }
    headers["Cache-Control"] = "no-store"
    return StreamingResponse(iter([upstream.content]), headers=headers)
