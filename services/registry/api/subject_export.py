"""A person's data-subject export across the platform, as JSON or as a readable document."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from services.registry.api import subject_document
from services.registry.api.deps import State, WriterActor
from services.registry.domain.errors import Erased, VolunteerNotFound
from services.registry.service import subject_export
from services.registry.service.access import volunteer_in_scope
from services.registry.service.subject_export import PeerUnavailable
from shared.deps import Session
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["volunteers"])

#: an export holds the full NIK and everything else: never kept by a browser or a proxy
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
Format = Literal["json", "html"]


class SubjectExport(BaseModel):
    """Everything the platform holds about one person, a section per service."""

    registry: dict[str, Any] = Field(
        description="profile with the full NIK, status history, transfers, certificates"
    )
    training: dict[str, Any] = Field(description="training's GET /volunteers/{id}/records")
    notifications: dict[str, Any] = Field(description="notifications' GET /volunteers/{id}/records")
    generated_at: datetime


def wanted_format(chosen: Format | None, accept: str | None) -> Format:
    """`?format=` if given; else HTML when `Accept` ranks text/html above JSON, else JSON."""
    if chosen is not None:
        return chosen
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weights[media.strip().lower()] = q
    html = weights.get("text/html", 0.0)
    json = weights.get("application/json", weights.get("*/*", 0.0))
    return "html" if html > 0 and html > json else "json"


@router.get(
    "/{volunteer_id:uuid}/export",
    response_model=SubjectExport,
    summary="Everything the platform holds about one person (audited)",
    responses={
        200: {
            "content": {
                "text/html": {
                    "schema": {"type": "string"},
                    "example": "<!doctype html>…",
                }
            },
            "description": "JSON by default; the readable document (HTML in Bahasa "
            "Indonesia) with `?format=html` or `Accept: text/html`",
        }
    },
)
@raises(VolunteerNotFound, Erased, PeerUnavailable)
async def export(
    volunteer_id: uuid.UUID,
    request: Request,
    session: Session,
    actor: WriterActor,
    state: State,
    format: Annotated[
        Format | None,
        Query(description="json or html (default: by `Accept`, else json)"),
    ] = None,
) -> Response:
    """Data-subject access (UU 27/2022): registry's profile with the full NIK, status
    history and transfers, and what training (enrolments, attendance, scores,
    certificates) and notifications (preferences, quiet hours, every message) hold, read
    with the operator's own token. All or nothing: if either service cannot answer, 503
    names it and nothing is exported. One audit entry per export, naming its format; the
    HTML is an attachment `data-pribadi-<id>.html`."""
    chosen = wanted_format(format, request.headers.get("accept"))
    async with session.begin():
        await volunteer_in_scope(session, volunteer_id, actor)
    peers = await subject_export.gather_peers(
        subject_export.peers_of(state.registry_settings),
        volunteer_id,
        authorization=request.headers["authorization"],
    )
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        now = state.clock.now()
        registry = await subject_export.registry_section(
            session, v, actor=actor, vault=state.vault, now=now, file_format=chosen
        )
    document = jsonable_encoder(
        SubjectExport(
            registry=registry,
            training=peers["training"],
            notifications=peers["notifications"],
            generated_at=now,
        )
    )
    if chosen == "html":
        return HTMLResponse(
            subject_document.render(document),
            headers={
                **NO_STORE,
                "Content-Disposition": (f'attachment; filename="data-pribadi-{volunteer_id}.html"'),
                "Content-Language": "id",
            },
        )
    return JSONResponse(document, headers=NO_STORE)
