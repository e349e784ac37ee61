"""Fixtures of the notifications tests: a real HTTP server playing registry's internal API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.notifications.config import Settings
from tests.notifications.helpers import FakeGateway, FakeRegistry, serve


@pytest.fixture
async def registry() -> AsyncIterator[FakeRegistry]:
    fake = FakeRegistry(settings=Settings(database_url="sqlite://", environment="test"))
    async with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    fake = FakeGateway()
    async with serve(fake.app()) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake
