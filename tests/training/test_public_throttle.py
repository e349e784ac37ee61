"""Public certificate routes are throttled per client (shared/throttle.py), on the app's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from shared.clock import FrozenClock
from tests.training.helpers import training_app


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://training")


async def test_verification_beyond_the_burst_gets_429_until_the_window_refills(
    database_url: str,
) -> None:
    clock = FrozenClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    async with (
        training_app(database_url, clock=clock, public_rate_per_minute=6, public_rate_burst=3) as t,
        client_at(t.app, "203.0.113.7") as c,
        client_at(t.app, "203.0.113.8") as other,
    ):
        served = [(await c.get("/certificates/verify/ZZZZZZZZZZ")).status_code for _ in range(3)]
        assert served == [404, 404, 404]
        refused = await c.get("/certificates/verify/ZZZZZZZZZZ")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "10"
        assert (await other.get("/certificates/verify/ZZZZZZZZZZ")).status_code == 404
        clock.advance(timedelta(seconds=10))
        assert (await c.get("/certificates/verify/ZZZZZZZZZZ")).status_code == 404


async def test_the_public_key_route_is_throttled_too(database_url: str) -> None:
    clock = FrozenClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    async with (
        training_app(database_url, clock=clock, public_rate_per_minute=6, public_rate_burst=1) as t,
        client_at(t.app, "203.0.113.7") as c,
    ):
        assert (await c.get("/certificates/public-key")).status_code == 200
        assert (await c.get("/certificates/public-key")).status_code == 429


async def test_openapi_documents_429_on_the_verification_route(database_url: str) -> None:
    async with training_app(database_url) as t:
        responses = t.app.openapi()["paths"]["/certificates/verify/{code}"]["get"]["responses"]
        assert "429" in responses
