"""The security tier's table: every probe an attacker or a careless operator would try, what
the platform should answer and what it did (a pytest plugin, loaded by pyproject.toml's
addopts, so the table is printed at the end of `make test`).

A test records a probe with the `probe` fixture and asserts the outcome itself; the probes
travel in the test reports' `user_properties`, so the table is complete under pytest-xdist
too (the controller prints it from the workers' reports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

PROBE = "security-probe"
_rows: list[dict[str, str]] = []


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> Callable[..., bool]:
    """`probe(area, attempt, expected, observed, held)`: one row of the table; returns
    `held` so a test can `assert probe(...)`."""

    def record(area: str, attempt: str, expected: str, observed: str, held: bool) -> bool:
        row = {
            "area": area,
            "attempt": attempt,
            "expected": expected,
            "observed": observed,
            "held": "yes" if held else "NO",
        }
        request.node.user_properties.append((PROBE, row))
        return held

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the probes of each finished test (in the controller under xdist)."""
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == PROBE and isinstance(value, dict):
            _rows.append({str(k): str(v) for k, v in value.items()})


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The table, then the totals."""
    if not _rows:
        return
    rows = sorted(_rows, key=lambda r: (r["area"], r["attempt"]))
    columns = ("area", "attempt", "expected", "observed", "held")
    widths = {c: min(60, max(len(c), *(len(r[c]) for r in rows))) for c in columns}
    write = terminalreporter.write_line
    terminalreporter.section("security tier: probes tried and how they were answered")
    write("  ".join(c.ljust(widths[c]) for c in columns))
    write("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        write("  ".join(row[c][: widths[c]].ljust(widths[c]) for c in columns))
    held = sum(r["held"] == "yes" for r in rows)
    write(f"{len(rows)} probes tried, {held} answered as expected, {len(rows) - held} not")
