"""shared/throttle.py: a token bucket per (route, client), on the app's clock, bounded in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from shared.clock import FrozenClock
from shared.problems import PROBLEM_JSON, document_problems, install_problem_handlers
from shared.throttle import TokenBuckets, throttle


def make_app(clock: FrozenClock, **settings: float) -> FastAPI:
    router = APIRouter()

    @router.get("/open", dependencies=[Depends(throttle("open", per_minute=6, burst=2))])
    async def open_route() -> dict[str, bool]:
        return {"ok": True}

    app = FastAPI()
    install_problem_handlers(app)
    document_problems(app, [router])
    app.include_router(router)
    app.state.runtime = SimpleNamespace(clock=clock, settings=SimpleNamespace(**settings))
    return app


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))


async def test_the_request_after_the_burst_gets_429_with_retry_after(clock: FrozenClock) -> None:
    app = make_app(clock)
    async with client_from(app, "10.0.0.1") as c:
        assert [(await c.get("/open")).status_code for _ in range(2)] == [200, 200]
        refused = await c.get("/open")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == PROBLEM_JSON
    # 6 a minute: one token every 10 s.
    assert refused.headers["Retry-After"] == "10"
    assert refused.json()["retry_after_s"] == pytest.approx(10.0)


async def test_another_client_is_not_affected(clock: FrozenClock) -> None:
    app = make_app(clock)
    async with client_from(app, "10.0.0.1") as first, client_from(app, "10.0.0.2") as second:
        for _ in range(3):
            await first.get("/open")
        assert (await first.get("/open")).status_code == 429
        assert (await second.get("/open")).status_code == 200


async def test_after_the_wait_the_client_is_served_again(clock: FrozenClock) -> None:
    app = make_app(clock)
    async with client_from(app, "10.0.0.1") as c:
        for _ in range(2):
            await c.get("/open")
        assert (await c.get("/open")).status_code == 429
        clock.advance(timedelta(seconds=9))
        assert (await c.get("/open")).status_code == 429
        clock.advance(timedelta(seconds=1))
        assert (await c.get("/open")).status_code == 200
        assert (await c.get("/open")).status_code == 429


async def test_service_settings_override_the_rate(clock: FrozenClock) -> None:
    app = make_app(clock, public_rate_per_minute=60, public_rate_burst=1)
    async with client_from(app, "10.0.0.1") as c:
        assert (await c.get("/open")).status_code == 200
        refused = await c.get("/open")
    assert refused.status_code == 429
    assert refused.json()["retry_after_s"] == pytest.approx(1.0)


def test_the_429_is_documented_in_openapi(clock: FrozenClock) -> None:
    responses = make_app(clock).openapi()["paths"]["/open"]["get"]["responses"]
    assert "429" in responses


def test_idle_buckets_are_forgotten_and_clients_are_capped() -> None:
    buckets = TokenBuckets(max_clients=3)
    for i in range(5):
        buckets.take(("r", f"10.0.0.{i}"), now=0.0, per_minute=60, burst=5)
    assert len(buckets) == 3
    # 5 tokens at one a second: idle for 5 s, a bucket is full again and is dropped.
    buckets.take(("r", "10.0.0.9"), now=5.0, per_minute=60, burst=5)
    assert len(buckets) == 1


def test_a_clock_moved_back_does_not_mint_tokens() -> None:
    buckets = TokenBuckets()
    key = ("r", "c")
    assert buckets.take(key, now=100.0, per_minute=60, burst=1) == 0
    assert buckets.take(key, now=50.0, per_minute=60, burst=1) > 0


def test_an_idle_bucket_is_kept_until_its_own_route_has_refilled_it() -> None:
    """Routes with different rates share the map: a fast route's request must not drop a
    slow route's bucket that has not refilled yet (its client would get a full burst early)."""
    buckets = TokenBuckets()
    login = ("login", "10.0.0.1")
    # login: 2 at once, then 6 a minute (one every 10 s): empty, it is full again after 20 s
    assert [buckets.take(login, now=0.0, per_minute=6, burst=2) for _ in range(2)] == [0.0, 0.0]
    # 5 s later another client on a fast route (60 a minute, burst 1: refilled after 1 s)
    assert buckets.take(("regions", "10.0.0.2"), now=5.0, per_minute=60, burst=1) == 0.0
    # the login client has earned half a token by now, not a full burst of 2
    assert buckets.take(login, now=5.0, per_minute=6, burst=2) == pytest.approx(5.0)


def test_a_bucket_idle_long_enough_for_its_own_route_is_forgotten() -> None:
    buckets = TokenBuckets()
    buckets.take(("login", "10.0.0.1"), now=0.0, per_minute=6, burst=2)  # full after 20 s
    buckets.take(("regions", "10.0.0.2"), now=19.0, per_minute=60, burst=1)
    assert len(buckets) == 2  # the login bucket is 19 s idle: not refilled, kept
    buckets.take(("regions", "10.0.0.2"), now=20.0, per_minute=60, burst=1)
    assert len(buckets) == 1  # 20 s: full again, identical to a new one, dropped
