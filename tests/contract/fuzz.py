"""Schemathesis against a service's real HTTP server: every generated request, all checks.

The service runs in this process, in a thread of its own with its own event loop, under
uvicorn on a loopback port, on a freshly migrated SQLite database. No broker: events stay
in the outbox (the HTTP contract is what is fuzzed), so the lifespan is off.

The run is deterministic: a fixed seed (`derandomize`) and a bounded number of examples per
operation (`FUZZ_EXAMPLES`, default below). A failure prints the request to replay with curl.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from shared.identity import Role
from tests.builders import operator_token
from tests.support import migrate, settings_for
from tools.broker import free_port

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

# Deterministic and bounded: the same requests on every run, no shrinking phase.
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass
class FuzzTarget:
    """A service answering on a loopback port, and an admin's bearer token for it."""

    base_url: str
    app: FastAPI
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of a national admin."""
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.contextmanager
def serve(
    service: str,
    tmp: Path,
    *,
    prepare: Callable[[FastAPI], Any] | None = None,
    **overrides: Any,
) -> Iterator[FuzzTarget]:
    """Run `service` on a migrated SQLite database in a server thread; `prepare(app)` is
    awaited in the server's loop before the first request (seed data there)."""
    url = f"sqlite+aiosqlite:///{tmp / f'{service}.db'}"
    asyncio.run(migrate(service, url))
    service_settings = settings_for(service, database_url=url, bootstrap="127.0.0.1:1", **overrides)
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    app = module.create_app(service_settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )

    def run() -> None:
        async def main() -> None:
            if prepare is not None:
                await prepare(app)
            await server.serve()

        asyncio.run(main())

    thread = threading.Thread(target=run, name=f"fuzz-{service}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # seeding runs first; a loaded CI host is slow
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{service} did not start for fuzzing")
        time.sleep(0.05)
    token = operator_token(subject="fuzz-operator", role=Role.NATIONAL_ADMIN, scope="national")
    try:
        yield FuzzTarget(base_url=f"http://127.0.0.1:{port}", app=app, token=token)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def openapi_of(service: str) -> dict[str, Any]:
    """The service's OpenAPI document, from an app built only to describe itself."""
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    app = module.create_app(
        settings_for(service, database_url="sqlite+aiosqlite://", bootstrap="127.0.0.1:1")
    )
    spec: dict[str, Any] = app.openapi()
    # /ready answers 503 by design while the broker is absent, and this tier runs without
    # one: readiness is tested against a real broker in tests/foundation and tests/ops.
    spec["paths"].pop("/ready", None)
    return spec


# The case a fuzz test receives (schemathesis.Case is generic in its operation).
FuzzCase: TypeAlias = schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]]


def fuzz_schema(service: str, *, config: SchemathesisConfig | None = None) -> OpenApiSchema:
    """The schemathesis schema of a service, configured the same way for all three.

    `config` carries a test's own per-operation allowances (statuses that answer rules the
    schema cannot state). Two generation options are off for every service because they
    test the harness, not the service: the fixture always sends an admin's token (so a
    generated "request without Authorization" goes out with one), and OpenAPI cannot
    declare a closed query string (every service refuses an unknown query parameter with a
    422, `shared.query_params`, which the schema cannot state).
    """
    schema = schemathesis.openapi.from_dict(openapi_of(service), config=config)
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return schema
