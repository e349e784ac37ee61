"""notifications: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.api import notifications
from services.notifications.config import Settings
from services.notifications.db.tables import metadata
from services.notifications.handlers import registry_volunteers
from shared.http import create_service_app
from shared.runtime import build_runtime

NAME = "notifications"
PUBLISHES: tuple = ()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES)
    registry_volunteers.register(runtime.consumer)
    return create_service_app(
        runtime,
        title="PSM notifications",
        description="Messages to volunteers and operators, with a delivery ledger.",
        routers=[notifications.router],
    )


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return create_app()
    raise AttributeError(name)
