"""notifications: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from services.notifications.api import (
    access_links,
    broadcasts,
    me,
    notifications,
    preferences,
    subject_records,
    templates,
)
from services.notifications.channels import Channel
from services.notifications.config import Settings
from services.notifications.db.tables import metadata
from services.notifications.handlers import (
    registry_volunteers,
    training_certificates,
    training_enrolments,
    training_sessions,
)
from services.notifications.service.dispatcher import dispatch_forever
from services.notifications.state import build_state
from shared.clock import Clock
from shared.events.base import Event
from shared.http import create_service_app
from shared.query_params import refuse_unknown_query_params
from shared.runtime import build_runtime

NAME = "notifications"
PUBLISHES: tuple[type[Event], ...] = ()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    channels: dict[str, Channel] | None = None,
    run_dispatcher: bool = True,
) -> FastAPI:
    """`clock` and `channels` are injectable so tests can move time and use real test servers."""
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES, clock=clock)
    state = build_state(runtime, settings, channels=channels)
    for module in (
        registry_volunteers,
        training_sessions,
        training_enrolments,
        training_certificates,
    ):
        module.register(runtime.consumer, state)
    return create_service_app(
        state,
        title="PSM notifications",
        description="Messages to volunteers and operators, with a delivery ledger.",
        # a mistyped filter is a 422 naming it, never an unfiltered answer
        dependencies=[Depends(refuse_unknown_query_params)],
        routers=[
            notifications.router,
            templates.router,
            broadcasts.router,
            preferences.router,
            subject_records.router,
            access_links.router,
            me.router,
        ],
        background=[state.issuer.follow, *([dispatch_forever] if run_dispatcher else [])],
    )


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return create_app()
    raise AttributeError(name)
