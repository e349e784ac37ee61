"""Fixtures shared by every tier. Database tests run on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.builders import token_env
from tests.support import fresh_database, postgres_available
from tools.broker import QUICK_START_JVM, KafkaBroker

# Every Settings() of a test (and every service process a test starts) verifies the test
# issuer's tokens, and registry signs with the same key: see tests/builders.py.
os.environ.update(token_env())

IN_CI = os.environ.get("CI", "").lower() == "true"
_pg_state: dict[str, bool] = {}


@pytest.fixture
def broker() -> Iterator[KafkaBroker]:
    """A fresh Apache Kafka node for one test (isolated topics, groups and offsets).

    Why not one broker per session: the tests create the services' real topic names and
    consumer groups, and the fault tests stop, pause and wipe their broker. A node starts
    in about 3 s from a pre-formatted log directory.
    """
    b = KafkaBroker(jvm_options=QUICK_START_JVM).start()
    try:
        yield b
    finally:
        b.stop()


async def _require_postgres() -> None:
    if "up" not in _pg_state:
        _pg_state["up"] = await postgres_available()
    if not _pg_state["up"]:
        message = "PostgreSQL is not reachable at 127.0.0.1:5432 (set PSM_TEST_PG_URL)"
        if IN_CI:
            pytest.fail(message + " — required when CI=true")
        pytest.skip(message + " — skipping the PostgreSQL variant")


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database; every test using it runs once per backend."""
    if request.param == "postgresql":
        await _require_postgres()
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for tests that only make sense there (row locks, races)."""
    await _require_postgres()
    async with fresh_database("postgresql", tmp_path) as url:
        yield url
