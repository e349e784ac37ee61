"""registry's public routes (regions reference data) are throttled per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from shared.clock import FrozenClock
from tests.registry.helpers import registry_http


async def test_regions_beyond_the_burst_get_429_and_other_clients_are_served(tmp_path) -> None:
    clock = FrozenClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db",
        clock=clock,
        public_rate_per_minute=60,
        public_rate_burst=2,
    ) as reg:
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=reg.app, client=("198.51.100.9", 1)),
            base_url="http://registry",
        )
        async with other:
            assert [(await reg.client.get("/regions")).status_code for _ in range(2)] == [200, 200]
            refused = await reg.client.get("/regions/32")
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "1"
            assert (await other.get("/regions")).status_code == 200
            clock.advance(timedelta(seconds=1))
            assert (await reg.client.get("/regions")).status_code == 200
