"""registry: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import admin, imports, internal, regions, volunteers
from services.registry.config import Settings
from services.registry.db.tables import metadata
from services.registry.handlers import training_certificates
from services.registry.nik_vault import NikVault
from services.registry.service.metrics import BusinessMetrics, refresh_business_metrics
from services.registry.state import RegistryState
from shared.clock import Clock
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


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build registry from its settings; `clock` is injectable (tests move time)."""
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES, clock=clock)
    state = RegistryState(
        runtime=runtime, vault=NikVault(settings), business_metrics=BusinessMetrics(runtime)
    )
    training_certificates.register(runtime.consumer, state)
    return create_service_app(
        state,
        title="PSM registry",
        description="The national register of PSM volunteers, regions and operators.",
        # imports before volunteers: /volunteers/imports must not match /volunteers/{id}.
        routers=[imports.router, volunteers.router, regions.router, admin.router, internal.router],
        background=[refresh_business_metrics],
    )


def __getattr__(name: str) -> FastAPI:
    # Why lazy: importing the module (tests, Alembic) must not build an app or read settings.
    if name == "app":
        return create_app()
    raise AttributeError(name)
