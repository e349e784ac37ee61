"""Templates and their preview against an example event."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from services.notifications.domain import templates
from services.notifications.domain.enums import Category
from services.notifications.domain.errors import TemplateCannotRender, UnknownTemplate
from shared.auth import CurrentPrincipal
from shared.problems import raises

router = APIRouter(prefix="/templates", tags=["templates"])
TemplateName = Path(max_length=80, description="A template's name, e.g. session-reminder")


class TemplatePublic(BaseModel):
    """A message text with its version, category and example context."""

    name: str
    version: int
    category: Category
    critical: bool
    subject: str
    body: str
    example: dict[str, Any]


class Preview(BaseModel):
    """A template rendered."""

    name: str
    version: int
    subject: str
    body: str


class PreviewRequest(BaseModel):
    """Values that override the template's example context."""

    context: dict[str, Any] = Field(default_factory=dict)


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


def _preview(name: str, context: dict[str, Any]) -> Preview:
    spec = templates.get(name)
    subject, body = templates.preview(name, context)
    return Preview(name=name, version=spec.version, subject=subject, body=body)


@router.get("", response_model=list[TemplatePublic], summary="Every template, current version")
async def list_templates(principal: CurrentPrincipal) -> list[TemplatePublic]:
    """The message texts (Bahasa Indonesia) with their version and example context."""
    return [_public(t) for t in templates.TEMPLATES.values()]


@router.get("/{name}/preview", response_model=Preview, summary="Render against the example")
@raises(UnknownTemplate)
async def preview_example(principal: CurrentPrincipal, name: str = TemplateName) -> Preview:
    """The template rendered against its example event."""
    return _preview(name, {})


@router.post(
    "/{name}/preview",
    response_model=Preview,
    summary="Render against your values",
)
@raises(UnknownTemplate, TemplateCannotRender)
async def preview_with(
    body: PreviewRequest, principal: CurrentPrincipal, name: str = TemplateName
) -> Preview:
    """The template rendered against the example overridden by `context`."""
    return _preview(name, body.context)
