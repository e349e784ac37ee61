"""Faults while a bulk import's events flow, with a history check: 0 lost, 0 doubled.

The three services run as real processes on a real Apache Kafka node, on SQLite and on
PostgreSQL. Each test imports a CSV of valid volunteers through registry's HTTP API,
injects a fault as soon as some but not all of the import's effects reached the consumer
concerned, lets the platform settle (registry's outbox fully acknowledged, both consumer
groups committed up to the end of `registry.volunteers`), then compares the three databases:
every volunteer registry accepted is in training's read model exactly once and has exactly
one welcome message in notifications' ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import auth_headers
from tests.conftest import _require_postgres
from tests.fault.helpers import Databases, Effects, History, consumer_lag, until, volunteers_csv
from tests.support import fresh_database
from tools.broker import KafkaBroker, free_port
from tools.services import SERVICE_NAMES, SERVICES
from tools.stack import Stack

pytestmark = [pytest.mark.broker, pytest.mark.e2e, pytest.mark.fault]

ROWS = 1_200  # one import per broker fault: enough to take a few seconds to flow
PHASE_ROWS = 500  # per service kill (three imports in one flow)
REGISTRY_ROWS = 1_000  # registry's import: long enough to be killed while it writes
#: Small chunks: the import commits (and its events start flowing) while it is still running.
IMPORT_CHUNK = 200
SETTLE_TIMEOUT = 150.0


@dataclass
class Platform:
    backend: str
    stack: Stack
    broker: KafkaBroker
    db: Databases

    @property
    def headers(self) -> dict[str, str]:
        return auth_headers(SERVICES["registry"].settings())

    async def start_service(self, name: str) -> None:
        self.stack.start_service(name)  # from the main thread (parent-death signal)
        await asyncio.to_thread(self.stack.wait_ready, name)

    def begin_import(self, rows: int, *, start: int = 0) -> asyncio.Task[httpx.Response]:
        """POST the CSV in the background; the caller watches the effects meanwhile."""

        async def post() -> httpx.Response:
            async with httpx.AsyncClient(timeout=180) as http:
                return await http.post(
                    self.stack.url("registry") + "/volunteers/imports",
                    content=volunteers_csv(rows, start=start),
                    params={"filename": "volunteers.csv"},
                    headers={"Content-Type": "text/csv", **self.headers},
                )

        return asyncio.create_task(post())

    async def settled(self) -> bool:
        """Nothing in flight: every outbox row acknowledged, both groups committed to the end."""
        if await self.db.unpublished():
            return False
        lag = await asyncio.wait_for(consumer_lag(self.broker.bootstrap), 10)
        return not any(lag.values())

    async def history(self, label: str) -> History:
        took = await until(
            self.settled, timeout=SETTLE_TIMEOUT, message="the platform settles", interval=0.5
        )
        history = await self.db.history()
        print(
            f"\n{history.line(f'{label} [{self.backend}]')} (settled {took:.1f}s after the check began)"
        )
        return history


@pytest.fixture(params=["sqlite", "postgresql"])
async def platform(
    request: pytest.FixtureRequest, tmp_path: Path, broker: KafkaBroker
) -> AsyncIterator[Platform]:
    backend: str = request.param
    if backend == "postgresql":
        await _require_postgres()
    async with contextlib.AsyncExitStack() as databases:
        urls: dict[str, str] = {}
        if backend == "postgresql":
            for name in SERVICE_NAMES:
                urls[name] = await databases.enter_async_context(fresh_database(backend, tmp_path))
        stack = Stack(
            var_dir=tmp_path,
            broker_port=None,
            ports={n: free_port() for n in SERVICE_NAMES},
            log_format="json",
            databases=urls,
            extra_env={"PSM_QUIET": "1", "REGISTRY_IMPORT_CHUNK_SIZE": str(IMPORT_CHUNK)},
        )
        stack.broker = broker
        db = Databases({n: stack.database_url(n) for n in SERVICE_NAMES})
        try:
            await asyncio.to_thread(stack.create_topics)
            await asyncio.to_thread(stack.migrate)
            for name in SERVICE_NAMES:
                stack.start_service(name)
            for name in SERVICE_NAMES:
                await asyncio.to_thread(stack.wait_ready, name)
            yield Platform(backend, stack, broker, db)
        finally:
            for name in list(stack.processes):  # before the databases are dropped
                stack.stop_service(name, kill=True)
            await db.dispose()


async def mid_flow(
    progress: Any,
    *,
    before: int,
    expected: int,
    what: str,
    least: int | None = None,
    timeout: float = 90.0,
) -> int:
    """Wait until `progress()` moved past `before` but has not reached `before + expected`;
    returns the count then. Fails if the flow ended before it could be caught in the middle
    (the fault would not be mid-flow: the test would prove nothing)."""
    seen = 0
    # by default a fifth: some applied, most still in flight
    some_of_them = before + (least if least is not None else max(1, expected // 5))

    async def some() -> bool:
        nonlocal seen
        seen = await progress()
        return seen >= some_of_them

    await until(some, timeout=timeout, message=f"the first of {what}")
    assert seen < before + expected, f"{what} all arrived before the fault ({seen}): not mid-flow"
    return seen


def assert_exact(history: History) -> None:
    assert history.exact, history.details()


async def import_accepted_everywhere_once(platform: Platform, importing: Any, label: str) -> None:
    """The import of ROWS answered with all of them imported, and each volunteer is exactly
    once in training and in notifications."""
    r = await importing
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == ROWS
    history = await platform.history(label)
    assert len(history.accepted) == ROWS
    assert_exact(history)


async def test_broker_sigkilled_mid_import_loses_and_doubles_nothing(platform: Platform) -> None:
    started = time.monotonic()
    importing = platform.begin_import(ROWS)
    at = await mid_flow(platform.db.training_total, before=0, expected=ROWS, what="import's events")
    await asyncio.to_thread(platform.broker.restart, crash=True)
    print(
        f"\nKafka SIGKILLed with {at}/{ROWS} in training, back after {time.monotonic() - started:.1f}s"
    )
    await import_accepted_everywhere_once(platform, importing, "broker SIGKILL mid-import")


async def test_broker_paused_twenty_seconds_mid_import_loses_and_doubles_nothing(
    platform: Platform,
) -> None:
    importing = platform.begin_import(ROWS)
    at = await mid_flow(platform.db.training_total, before=0, expected=ROWS, what="import's events")
    platform.broker.pause()  # SIGSTOP: connections stay open, nothing answers
    try:
        await asyncio.sleep(20)  # the fault itself lasts 20 s (a duration, not a condition)
        during = await platform.db.training_total()
    finally:
        platform.broker.resume()
    print(f"\nKafka paused 20 s with {at}/{ROWS} in training ({during} when resumed)")
    await import_accepted_everywhere_once(platform, importing, "broker paused 20 s mid-import")


async def test_each_service_sigkilled_mid_flow_loses_and_doubles_nothing(
    platform: Platform,
) -> None:
    """One flow, three imports: registry killed while its import is being written and
    published, then training while it applies the next import's events, then notifications
    while it writes the welcome messages of the third; each started again."""
    db = platform.db

    # registry: killed as soon as its relay published the first of the import's events (the
    # import is still writing, or has just written its last chunk); the operator then
    # imports the same file again
    importing = platform.begin_import(REGISTRY_ROWS, start=0)
    at = await mid_flow(
        db.published, before=0, expected=REGISTRY_ROWS, least=1, what="the import's events"
    )
    platform.stack.stop_service("registry", kill=True)
    with contextlib.suppress(httpx.HTTPError):
        await importing  # cut off by the kill, or answered just before it
    accepted, unpublished = await db.accepted_total(), await db.unpublished()
    assert unpublished, "registry's events were all published before the kill: not mid-flow"
    in_training = await db.training_total()
    await platform.start_service("registry")
    print(
        f"\nregistry SIGKILLed mid-import: {accepted}/{REGISTRY_ROWS} committed "
        f"({at} published when seen), {unpublished} of them unpublished, {in_training} in training"
    )
    r = await platform.begin_import(REGISTRY_ROWS, start=0)
    assert r.status_code == 201, r.text
    assert (r.json()["imported"], r.json()["duplicates"]) == (REGISTRY_ROWS - accepted, accepted)

    # training: killed while it applies the second import's events
    await until(platform.settled, timeout=SETTLE_TIMEOUT, message="phase 1 settles", interval=0.5)
    before = await db.training_total()
    importing = platform.begin_import(PHASE_ROWS, start=100_000)
    at = await mid_flow(db.training_total, before=before, expected=PHASE_ROWS, what="training's")
    platform.stack.stop_service("training", kill=True)
    r = await importing
    assert r.status_code == 201 and r.json()["imported"] == PHASE_ROWS, r.text
    await platform.start_service("training")
    print(f"training SIGKILLed at {at - before}/{PHASE_ROWS} of its import")

    # notifications: killed while it writes the welcome messages of the third import
    await until(platform.settled, timeout=SETTLE_TIMEOUT, message="phase 2 settles", interval=0.5)
    before = await db.ledger_total()
    importing = platform.begin_import(PHASE_ROWS, start=200_000)
    at = await mid_flow(db.ledger_total, before=before, expected=PHASE_ROWS, what="the ledger's")
    platform.stack.stop_service("notifications", kill=True)
    r = await importing
    assert r.status_code == 201 and r.json()["imported"] == PHASE_ROWS, r.text
    await platform.start_service("notifications")
    print(f"notifications SIGKILLed at {at - before}/{PHASE_ROWS} of its import")

    history = await platform.history("registry, training, notifications SIGKILL mid-flow")
    assert len(history.accepted) == REGISTRY_ROWS + 2 * PHASE_ROWS
    assert_exact(history)


def test_the_history_check_reports_lost_doubled_and_never_accepted_effects() -> None:
    a, b, c, stranger = (uuid.uuid4() for _ in range(4))
    accepted = frozenset({a, b, c})
    exact = Effects(accepted, Counter({a: 1, b: 1, c: 1}))
    wrong = Effects(accepted, Counter({a: 1, b: 2, stranger: 1}))
    assert exact.exact and exact.summary() == "3 (0 lost, 0 doubled)"
    assert (wrong.lost, wrong.doubled, wrong.phantom) == ({c}, {b: 2}, {stranger})
    assert not wrong.exact
    assert wrong.summary() == "3 (1 lost, 1 doubled, 1 never accepted)"
    history = History(accepted, training=exact, notifications=wrong)
    assert not history.exact
    assert history.line("x [sqlite]") == (
        "x [sqlite]: accepted 3, training 3 (0 lost, 0 doubled), "
        "notifications 3 (1 lost, 1 doubled, 1 never accepted)"
    )
