"""Bad paging input never gives a 500: every route with a numeric or paging query parameter,
found from the apps' OpenAPI documents (so new routes are covered), answers 4xx problem+json
to out-of-range, huge, negative and non-numeric values, naming the parameter."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.builders import auth_headers
from tests.notifications.helpers import notifications_app
from tests.registry.helpers import registry_http
from tests.training.helpers import training_app

PAGING = {"offset", "limit", "page", "size", "page_size", "per_page"}
BAD_VALUES = ["1e20", "-1", "99999999999999999999999999999", "-99999999999999999999", "abc", ""]
# Values for path parameters that pass validation, so the query parameter is what is judged.
PATH_VALUES = {"region": "32.76", "code": "32.76", "channel": "sms"}


@contextlib.asynccontextmanager
async def app_of(service: str, database_url: str) -> AsyncIterator[FastAPI]:
    if service == "registry":
        async with registry_http(database_url) as r:
            yield r.app
    elif service == "training":
        async with training_app(database_url) as t:
            yield t.app
    else:
        from shared.clock import FrozenClock

        async with notifications_app(
            database_url, registry_url="http://127.0.0.1:1", clock=FrozenClock()
        ) as app:
            yield app


def probed_parameters(app: FastAPI) -> list[tuple[str, str, str]]:
    """(path, method, parameter) of every paging or integer query parameter."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, op in operations.items():
            if method not in {"get", "delete", "post", "put", "patch"}:
                continue
            for p in op.get("parameters", []):
                if p["in"] != "query":
                    continue
                schema = p.get("schema", {})
                kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if p["name"] in PAGING or kinds & {"integer", "number"}:
                    found.append((path, method, p["name"]))
    return found


def concrete(path: str, operations: dict[str, Any], method: str) -> str:
    for p in operations[method].get("parameters", []):
        if p["in"] == "path":
            fmt = p.get("schema", {}).get("format")
            value = str(uuid.uuid4()) if fmt == "uuid" else PATH_VALUES.get(p["name"], "32")
            path = path.replace("{" + p["name"] + "}", value)
    return path


def valid_query(operation: dict[str, Any]) -> dict[str, str]:
    """Values for the operation's required query parameters that pass validation."""
    values = {}
    for p in operation.get("parameters", []):
        if p["in"] == "query" and p.get("required"):
            schema = p.get("schema", {})
            values[p["name"]] = str(schema.get("default", schema.get("minimum", 1)))
    return values


@pytest.mark.parametrize("service", ["registry", "training", "notifications"])
async def test_paging_and_numeric_query_parameters_refuse_bad_values_with_a_4xx_problem(
    service: str, database_url: str
) -> None:
    async with app_of(service, database_url) as app:
        probed = probed_parameters(app)
        if service == "registry":
            assert ("/volunteers", "get", "offset") in probed  # discovery works
        transport = httpx.ASGITransport(app=app)
        headers = auth_headers(app)
        paths = app.openapi()["paths"]
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            for path, method, name in probed:
                url = concrete(path, paths[path], method)
                # The route itself is reachable with these path values and the token: only
                # the probed parameter can make the answers below 4xx.
                valid = valid_query(paths[path][method])
                baseline = await client.request(method, url, params=valid, headers=headers)
                assert baseline.status_code < 400, f"{method.upper()} {url}: {baseline.text}"
                for bad in BAD_VALUES:
                    r = await client.request(
                        method, url, params={**valid, name: bad}, headers=headers
                    )
                    where = f"{method.upper()} {path} ?{name}={bad!r}"
                    assert 400 <= r.status_code < 500, f"{where}: {r.status_code}"
                    assert r.headers["content-type"] == "application/problem+json", where
                    if r.status_code == 422:
                        fields = [e["field"] for e in r.json().get("errors") or []]
                        assert any(name in f for f in fields), f"{where}: {r.json()}"
