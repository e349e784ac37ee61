"""registry: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import volunteers
from services.registry.config import Settings
from services.registry.db.tables import metadata
from shared.events.registry import (
    VolunteerErased,
    VolunteerProfileUpdated,
    VolunteerRegistered,
    VolunteerStatusChanged,
    VolunteerTransferred,
)
from shared.http import create_service_app
from shared.runtime import build_runtime

NAME = "registry"
PUBLISHES = (
    VolunteerRegistered,
    VolunteerProfileUpdated,
    VolunteerStatusChanged,
    VolunteerTransferred,
    VolunteerErased,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES)
    return create_service_app(
        runtime,
        title="PSM registry",
        description="The national register of PSM volunteers, regions and operators.",
        routers=[volunteers.router],
    )


def __getattr__(name: str) -> FastAPI:
    # Why lazy: importing the module (tests, Alembic) must not build an app or read settings.
    if name == "app":
        return create_app()
    raise AttributeError(name)
