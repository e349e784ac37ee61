"""Templates and their preview against an example event."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from services.notifications.domain import templates
from shared.auth import CurrentPrincipal
from shared.problems import Problem

router = APIRouter(prefix="/templates", tags=["templates"])


class TemplatePublic(BaseModel):
    name: str
    version: int
    category: str
    critical: bool
    subject: str
    body: str
    example: dict[str, Any]


class Preview(BaseModel):
    name: str
    version: int
    subject: str
    body: str


class PreviewRequest(BaseModel):
    context: dict[str, Any] = {}


def _public(t: templates.Template) -> TemplatePublic:
    return TemplatePublic(
        name=t.name,
        version=t.version,
        category=t.category,
        critical=t.critical,
        subject=t.subject,
        body=t.body,
        example=t.example,
    )


@router.get("", response_model=list[TemplatePublic], summary="Every template, current version")
async def list_templates(principal: CurrentPrincipal) -> list[TemplatePublic]:
    """The message texts (Bahasa Indonesia) with their version and example context."""
    return [_public(t) for t in templates.TEMPLATES.values()]


def _preview(name: str, context: dict[str, Any]) -> Preview:
    try:
        spec = templates.get(name)
        subject, body = templates.preview(name, context)
    except templates.TemplateError as exc:
        status = 404 if name not in templates.TEMPLATES else 422
        raise Problem(status, "Template problem", str(exc)) from exc
    return Preview(name=name, version=spec.version, subject=subject, body=body)


@router.get("/{name}/preview", response_model=Preview, summary="Render against the example")
async def preview_example(name: str, principal: CurrentPrincipal) -> Preview:
    """The template rendered against its example event."""
    return _preview(name, {})


@router.post("/{name}/preview", response_model=Preview, summary="Render against your values")
async def preview_with(name: str, body: PreviewRequest, principal: CurrentPrincipal) -> Preview:
    """The template rendered against the example overridden by `context`."""
    return _preview(name, body.context)
