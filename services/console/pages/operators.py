"""Operator accounts, for the admins (national admins; province operators for their
regencies): list, create, disable and enable through registry's admin API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.client import NotAllowed, NotFound, Refused
from services.console.web import Operator, SignedIn, form_of, render, state_of

router = APIRouter()

ROLES = ("national_admin", "province_operator", "regency_operator", "viewer")


async def _page(request: Request, op: Operator, *, status: int = 200, **values: Any) -> Response:
    if not op.manages_accounts:
        raise NotAllowed(403)
    page = await state_of(request).api.json(
        "registry", "/operators", token=op.token, language=op.language, params={"limit": 200}
    )
    return render(
        request,
        "operator.html",
        status=status,
        operator=op,
        page=page,
        roles=ROLES,
        values=values.pop("values", {}),
        errors=values.pop("errors", {}),
        **values,
    )


@router.get("/operator")
async def accounts(request: Request, op: SignedIn) -> Response:
    """The accounts the operator may administer."""
    return await _page(request, op)


@router.post("/operator")
async def create(request: Request, op: SignedIn) -> Response:
    """A new account (registry checks role, scope and password rules)."""
    form = await form_of(request)
    body = {k: str(form.get(k) or "").strip() for k in ("email", "role", "scope")}
    body["password"] = str(form.get("password") or "")
    try:
        await state_of(request).api.send(
            "registry", "POST", "/operators", token=op.token, language=op.language, json=body
        )
    except Refused as exc:
        errors = exc.field_errors or {"": exc.detail}
        values = {k: v for k, v in body.items() if k != "password"}
        return await _page(request, op, status=exc.status, values=values, errors=errors)
    return RedirectResponse("/operator", status_code=303)


@router.post("/operator/{operator_id}/{action}")
async def switch(request: Request, op: SignedIn, operator_id: str, action: str) -> Response:
    """Disable (`nonaktifkan`) or enable (`aktifkan`) an account."""
    target = {"nonaktifkan": "disable", "aktifkan": "enable"}.get(action)
    try:
        oid = uuid.UUID(operator_id)
    except ValueError:
        target = None
    if target is None:
        raise NotFound(404)
    await state_of(request).api.send(
        "registry", "POST", f"/operators/{oid}/{target}", token=op.token, language=op.language
    )
    return RedirectResponse("/operator", status_code=303)
