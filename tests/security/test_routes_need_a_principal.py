"""No route without a principal: every route of every app (walked from `app.routes`, every
method) answers 401 without a token unless it is on the public allow-list below; a service
token is refused (403) everywhere except on the routes that require a permission it holds.

The allow-list is checked too: each entry must still exist, so a renamed public route is
noticed here instead of silently becoming a route nobody checks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from shared.identity import VOLUNTEER_AUDIENCES, Audience, Permission, Role
from tests.builders import auth_headers, bearer, make_issuer, service_headers
from tests.support import settings_for

SERVICES = ("registry", "training", "notifications")

#: (service, method, path template) answered without a token, and why
PUBLIC: dict[tuple[str, str], str] = {
    ("*", "/health"): "liveness probe",
    ("*", "/ready"): "readiness probe",
    ("*", "/metrics"): "Prometheus scrape (network policy restricts it)",
    ("*", "/openapi.json"): "the HTTP contract",
    ("*", "/docs"): "the contract's page",
    ("*", "/docs/oauth2-redirect"): "the contract page's helper",
    ("*", "/redoc"): "the contract's page",
    ("*", "/asyncapi.json"): "the event contract",
    ("*", "/asyncapi"): "the event contract's page",
    ("registry", "/.well-known/jwks.json"): "the public keys every service verifies with",
    ("registry", "/regions"): "Kemendagri's region codes: public reference data, throttled",
    ("registry", "/regions/{code}"): "Kemendagri's region codes: public reference data, throttled",
    ("registry", "/auth/login"): "operators authenticate here",
    ("registry", "/auth/refresh"): "a refresh token authenticates itself",
    ("registry", "/auth/token"): "services authenticate with client credentials in the body",
    ("registry", "/auth/volunteer-link"): "a one-time link's code authenticates itself, throttled",
    ("training", "/certificates/verify/{code}"): "anyone verifies a printed certificate",
    ("training", "/certificates/public-key"): "anyone checks a certificate's signature",
}

#: plausible values for path parameters, by name (anything else: a UUID)
VALUES = {"code": "BMT-DASAR", "name": "welcome", "region_code": "32.76", "level": "dasar"}


def is_public(service: str, path: str) -> bool:
    return ("*", path) in PUBLIC or (service, path) in PUBLIC


def build(service: str, tmp_path: Path) -> FastAPI:
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    settings = settings_for(
        service,
        database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db",
        bootstrap="127.0.0.1:1",
    )
    app: FastAPI = module.create_app(settings)
    # As after start-up: the revocation list has been read once (registry follows its own
    # database from its lifespan, which needs a broker this test does not start).
    revocations = app.state.service.verifier.revocations
    if revocations.stale():
        revocations.replace([], as_of=app.state.service.clock.now().timestamp())
    return app


def endpoints(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path template, route) for every route of the app, included routers
    flattened the way FastAPI itself walks them for the OpenAPI document."""
    for route in iter_route_contexts(app.routes):
        assert route.path, f"a route without a path: {route!r}"
        assert route.methods, f"{route.path}: not an HTTP route (a mount?)"
        for method in sorted(route.methods):
            yield method, route.path, route


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: VALUES.get(m.group(1), str(uuid.uuid4())), path)


def permissions_required(route: Any) -> set[Permission]:
    """The permissions a route's dependencies require (`shared.auth.require_permission`)."""
    found: set[Permission] = set()

    def walk(dependant: Dependant) -> None:
        permission = getattr(dependant.call, "__permission__", None)
        if permission is not None:
            found.add(permission)
        for sub in dependant.dependencies:
            walk(sub)

    dependant = getattr(route, "dependant", None)
    if isinstance(dependant, Dependant):
        walk(dependant)
    return found


@pytest.fixture(params=SERVICES)
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FastAPI]:
    built = build(request.param, tmp_path)
    built.state.name = request.param
    yield built
    await built.state.runtime.engine.dispose()


async def call(app: FastAPI, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, concrete(path), headers=headers)


async def test_every_route_not_on_the_public_list_answers_401_without_a_token(app):
    service: str = app.state.name
    wrong = {}
    checked = 0
    for method, path, _ in endpoints(app):
        if is_public(service, path):
            continue
        checked += 1
        answer = await call(app, method, path, {})
        if answer.status_code != 401:
            wrong[f"{method} {path}"] = answer.status_code
    assert checked > 5
    assert wrong == {}, f"{service}: answered without a principal: {wrong}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_public_route_on_the_list_exists(service, tmp_path):
    app = build(service, tmp_path)
    paths = {path for _, path, _ in endpoints(app)}
    expected = {path for (owner, path) in PUBLIC if owner in ("*", service)}
    assert expected - paths == set(), f"{service}: public routes renamed or gone"


@pytest.mark.parametrize("held", [(), tuple(Permission)], ids=["no-permission", "every-permission"])
async def test_a_service_token_is_refused_except_where_a_permission_it_holds_is_required(app, held):
    service: str = app.state.name
    headers = service_headers(
        subject="notifications", permissions=held, audience=Audience(f"psm-{service}")
    )
    wrong = {}
    for method, path, route in endpoints(app):
        if is_public(service, path):
            continue
        required = permissions_required(route)
        answer = await call(app, method, path, headers)
        allowed = bool(required) and required <= set(held)
        if allowed and answer.status_code in (401, 403):
            wrong[f"{method} {path}"] = (answer.status_code, "should pass authorisation")
        if not allowed and answer.status_code != 403:
            wrong[f"{method} {path}"] = (answer.status_code, "should be 403")
    assert wrong == {}, f"{service}: {wrong}"


async def test_routes_for_services_refuse_operators_and_revocations_need_their_permission(
    tmp_path,
):
    """Routes meant for services are not operator routes: an admin's token is refused."""
    needs: dict[str, set[Permission]] = {}
    for service in SERVICES:
        app = build(service, tmp_path)
        for method, path, route in endpoints(app):
            required = permissions_required(route)
            if not required:
                continue
            needs[f"{service} {method} {path}"] = required
            answer = await call(app, method, path, auth_headers(app))
            assert answer.status_code == 403, f"{service} {method} {path}: {answer.status_code}"
        await app.state.runtime.engine.dispose()
    assert needs.get("registry GET /internal/revocations") == {Permission.REVOCATIONS_READ}
    assert needs.get("training GET /internal/sessions/{session_id}") == {Permission.SESSIONS_READ}


def volunteer_headers(app: FastAPI, volunteer_id: uuid.UUID) -> dict[str, str]:
    """A volunteer's token (from a one-time link), minted on the app's clock."""
    token = make_issuer(app.state.service.clock).mint(
        subject=str(volunteer_id),
        role=Role.VOLUNTEER,
        scope=str(volunteer_id),
        audiences=VOLUNTEER_AUDIENCES,
    )
    return bearer(token)


def is_own_route(path: str) -> bool:
    return path == "/me" or path.startswith("/me/")


async def test_a_volunteer_token_is_refused_on_every_route_but_the_volunteers_own(app):
    """A volunteer's token opens the `/me` routes only: every operator and service route of
    every service answers 403, and every `/me` route lets it through authorisation."""
    service: str = app.state.name
    headers = volunteer_headers(app, uuid.uuid4())
    wrong, own = {}, []
    for method, path, _ in endpoints(app):
        if is_public(service, path):
            continue
        answer = await call(app, method, path, headers)
        if is_own_route(path):
            own.append(f"{method} {path}")
            if answer.status_code in (401, 403):
                wrong[f"{method} {path}"] = (answer.status_code, "should pass authorisation")
        elif answer.status_code != 403:
            wrong[f"{method} {path}"] = (answer.status_code, "should be 403")
    assert wrong == {}, f"{service}: {wrong}"
    assert own, f"{service}: no /me route"


async def test_the_volunteers_own_routes_refuse_operator_and_service_tokens(app):
    service: str = app.state.name
    operator = auth_headers(app)
    every_permission = service_headers(
        app, permissions=tuple(Permission), audience=Audience(f"psm-{service}")
    )
    checked = 0
    for method, path, _ in endpoints(app):
        if not is_own_route(path):
            continue
        checked += 1
        for headers in (operator, every_permission):
            answer = await call(app, method, path, headers)
            assert answer.status_code == 403, f"{service} {method} {path}: {answer.status_code}"
    assert checked >= 1
