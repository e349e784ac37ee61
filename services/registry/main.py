"""registry: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

import asyncio

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from services.registry.api import (
    admin,
    auth,
    holder_names,
    imports,
    internal,
    me,
    regions,
    subject_export,
    transfers,
    volunteer_links,
    volunteers,
)
from services.registry.config import Settings
from services.registry.db.tables import metadata
from services.registry.handlers import training_certificates
from services.registry.service.imports import mark_interrupted
from services.registry.service.metrics import refresh_business_metrics
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
from shared.logging import get_logger
from shared.query_params import refuse_unknown_query_params
from shared.runtime import build_runtime
from shared.trust import follow_revocations

log = get_logger("registry.main")

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
    state = RegistryState.build(runtime, settings)
    training_certificates.register(runtime.consumer, state)
    app = create_service_app(
        state,
        title="PSM registry",
        description="The national register of PSM volunteers, regions and operators.",
        on_startup=[sweep_interrupted_imports],
        # a mistyped filter is a 422 naming it, never an unfiltered answer
        dependencies=[Depends(refuse_unknown_query_params)],
        # imports before volunteers: /volunteers/imports must not match /volunteers/{id}.
        routers=[
            imports.router,
            holder_names.router,
            volunteer_links.router,
            volunteers.router,
            subject_export.router,
            transfers.router,
            regions.router,
            admin.router,
            auth.router,
            internal.router,
            me.router,
        ],
        background=[refresh_business_metrics, follow_own_revocations],
    )
    app.add_middleware(FreshRevocations, state=state)
    return app


async def follow_own_revocations(state: RegistryState) -> None:
    """Re-read this registry's revocations every `revocation_poll_s` (another replica's
    disable, logout or refresh reuse) until the service stops."""
    await follow_revocations(
        state.verifier.revocations,
        state.own_revocations.fetch,
        interval_s=state.registry_settings.revocation_poll_s,
        stop=asyncio.Event(),  # the task is cancelled when the service stops
    )


class FreshRevocations:
    """Before a request with a bearer token is checked, make sure the revocation snapshot is
    at most `revocation_poll_s` old (it usually is: the background job keeps it so); a
    failed read is logged and verification then fails closed once the snapshot is stale."""

    def __init__(self, app: ASGIApp, *, state: RegistryState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refresh when needed, then pass the request on."""
        if scope["type"] == "http" and any(k == b"authorization" for k, _ in scope["headers"]):
            try:
                await self.state.own_revocations.ensure_fresh()
            except Exception as exc:  # logged; the verifier fails closed when stale
                log.warning("token revocations not refreshed", error=type(exc).__name__)
        await self.app(scope, receive, send)


async def sweep_interrupted_imports(state: RegistryState) -> None:
    """At start-up: imports left `running` by a dead process (no progress for
    `import_stale_after_s`, so not a live one in another replica) become `interrupted`."""
    await mark_interrupted(
        state.runtime.sessionmaker,
        now=state.clock.now(),
        stale_after_s=state.registry_settings.import_stale_after_s,
    )


def __getattr__(name: str) -> FastAPI:
    # Why lazy: importing the module (tests, Alembic) must not build an app or read settings.
    if name == "app":
        return create_app()
    raise AttributeError(name)
