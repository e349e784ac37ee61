"""Markers that follow from what a test takes, so no test has to write them (a pytest plugin,
loaded by pyproject.toml's addopts).

`database`: the test takes `database_url` (run once on SQLite and once on PostgreSQL) or
`postgres_url`. `make unit` leaves these out; `make test` runs them on both backends.
"""

from __future__ import annotations

import pytest

DATABASE_FIXTURES = frozenset({"database_url", "postgres_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)
