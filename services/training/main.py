"""training: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import FastAPI

from services.training.api import volunteers
from services.training.config import Settings
from services.training.db.tables import metadata
from services.training.handlers import registry_volunteers
from shared.http import create_service_app
from shared.runtime import build_runtime

NAME = "training"
PUBLISHES: tuple = ()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES)
    registry_volunteers.register(runtime.consumer)
    return create_service_app(
        runtime,
        title="PSM training",
        description="Bimtek courses, sessions, enrolment, attendance, tests and certificates.",
        routers=[volunteers.router],
    )


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return create_app()
    raise AttributeError(name)
