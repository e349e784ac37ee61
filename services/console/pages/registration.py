"""The registration form: registry validates, the page shows each refused field next to
its input, in the page's language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.console.client import Refused
from services.console.web import SignedIn, form_of, render, state_of

router = APIRouter()

TEXT_FIELDS = (
    "nik",
    "full_name",
    "birth_place",
    "birth_date",
    "sex",
    "village_code",
    "address",
    "phone",
    "email",
)


def draft_of(form: Any) -> dict[str, Any]:
    """Registry's registration body from the form (empty optional fields left out)."""
    body: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = str(form.get(name) or "").strip()
        if value:
            body[name] = value
    body["consents"] = {
        "data_processing": form.get("consent_data") == "1",
        "contact": form.get("consent_contact") == "1",
    }
    return body


@router.get("/psm/baru")
async def new_page(request: Request, op: SignedIn) -> Response:
    """The empty registration form."""
    return render(request, "psm_new.html", operator=op, values={}, errors={})


@router.post("/psm/baru")
async def register(request: Request, op: SignedIn) -> Response:
    """Register at registry; a refusal shows the form again with its field errors (the
    values kept, so nothing is typed twice)."""
    form = await form_of(request)
    body = draft_of(form)
    try:
        r = await state_of(request).api.send(
            "registry", "POST", "/volunteers", token=op.token, language=op.language, json=body
        )
    except Refused as exc:
        errors = exc.field_errors or {"": exc.detail}
        if exc.status == 409 and not exc.errors:
            errors = {"nik": exc.detail}
        values = {
            k: str(form.get(k) or "") for k in (*TEXT_FIELDS, "consent_data", "consent_contact")
        }
        return render(
            request, "psm_new.html", status=exc.status, operator=op, values=values, errors=errors
        )
    return RedirectResponse(f"/psm/{r.json()['id']}?ok=1", status_code=303)
