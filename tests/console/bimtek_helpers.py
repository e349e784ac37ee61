"""The console over in-process registry, training and notifications (their real apps and
databases), with an in-process relay in place of the broker: each service's staged outbox
rows are handed to the other services' real consumers as the records the relay would
publish, so training learns registry's candidates and registry learns training's
certificates — no API shortcut, no Kafka to wait for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI
from playwright.async_api import async_playwright
from sqlalchemy import select, update

from services.console.config import Settings as ConsoleSettings
from services.console.main import create_app as create_console
from services.notifications.main import create_app as create_notifications
from services.registry.main import create_app as create_registry
from services.training.main import create_app as create_training
from services.training.main import seed_courses
from shared.clock import FrozenClock
from shared.events.envelope import Envelope
from tests.builders import auth_headers, token_settings
from tests.console.browser import CHROMIUM, ConsoleStack, free_port
from tests.support import migrate, settings_for

#: who hears whom (notifications would need training's internal API over HTTP, with
#: service tokens, to word session messages: it hears registry only here)
ROUTES = {"registry": ("training", "notifications"), "training": ("registry",)}


@dataclass
class Relay:
    """Hands staged outbox rows to the consumers of the services that subscribe."""

    apps: dict[str, FastAPI]
    delivered: int = 0
    stopping: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def once(self) -> int:
        """Deliver every unpublished row once; how many were delivered."""
        async with self._lock:
            count = 0
            for source, targets in ROUTES.items():
                runtime = self.apps[source].state.runtime
                outbox = runtime.outbox
                async with runtime.read_sessionmaker() as s:
                    rows = (
                        (
                            await s.execute(
                                select(outbox)
                                .where(outbox.c.published_at.is_(None))
                                .order_by(outbox.c.id)
                            )
                        )
                        .mappings()
                        .all()
                    )
                for row in rows:
                    record = _record(row)
                    for target in targets:
                        await self.apps[target].state.runtime.consumer.process(record)
                    async with runtime.sessionmaker() as s, s.begin():
                        await s.execute(
                            update(outbox)
                            .where(outbox.c.id == row["id"])
                            .values(published_at=datetime.now(UTC))
                        )
                    count += 1
            self.delivered += count
            return count

    async def run(self, every_s: float = 0.2) -> None:
        """Deliver in the background, as the relay and the broker would, until `stop`."""
        while not self.stopping:
            await self.once()
            await asyncio.sleep(every_s)

    async def stop(self, task: asyncio.Task[None], timeout_s: float = 30.0) -> None:
        """End `task` (running `run`) between two rounds, never in the middle of a
        transaction: a task cancelled inside one can leave SQLite's in-process write gate
        to the pool's clean-up, and a teardown that disposes the engine then waits on it."""
        self.stopping = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _record(row: Any) -> ConsumerRecord[bytes, bytes]:
    envelope = Envelope(
        event_type=row["event_type"],
        source=row["source"],
        schema_version=row["schema_version"],
        event_id=row["event_id"],
        time=datetime.now(UTC),
    )
    return ConsumerRecord(
        topic=row["topic"],
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=str(row["key"]).encode(),
        value=str(row["payload"]).encode(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[(k, v.encode()) for k, v in envelope.to_headers().items()],
    )


@dataclass
class BimtekStack(ConsoleStack):
    """The console stack with notifications and the relay."""

    relay: Relay | None = None


@contextlib.asynccontextmanager
async def bimtek_stack(tmp: Path) -> AsyncIterator[BimtekStack]:
    """registry, training and notifications in-process, relayed; the console on uvicorn;
    Chromium headless."""
    urls = {
        n: f"sqlite+aiosqlite:///{tmp}/{n}.db" for n in ("registry", "training", "notifications")
    }
    for name, url in urls.items():
        await migrate(name, url)
    no_broker = "127.0.0.1:1"
    registry = create_registry(
        settings_for(
            "registry",
            database_url=urls["registry"],
            bootstrap=no_broker,
            login_rate_per_minute=1000.0,
            login_rate_burst=1000,
            **token_settings("registry"),
        )
    )
    training = create_training(
        settings_for(
            "training",
            database_url=urls["training"],
            bootstrap=no_broker,
            **token_settings("training"),
        )
    )
    await seed_courses(training.state.service)
    notifications = create_notifications(
        settings_for(
            "notifications",
            database_url=urls["notifications"],
            bootstrap=no_broker,
            **token_settings("notifications"),
        ),
        run_dispatcher=False,
    )
    apps = {"registry": registry, "training": training, "notifications": notifications}
    relay = Relay(apps)
    clock = FrozenClock(datetime.now(UTC))
    port = free_port()
    console = create_console(
        ConsoleSettings(
            environment="test",
            public_base_url=f"http://127.0.0.1:{port}",
            session_secret="browser-test-session-secret-0123456789",
            log_format="console",
        ),
        clock=clock,
        transports={
            "registry": httpx.ASGITransport(app=registry, client=("10.9.8.7", 4000)),
            "training": httpx.ASGITransport(app=training),
            "notifications": httpx.ASGITransport(app=notifications),
        },
    )
    server = uvicorn.Server(
        uvicorn.Config(console, host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    relaying = asyncio.create_task(relay.run())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.02)
    try:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=registry), base_url="http://registry"
            ) as client,
            async_playwright() as pw,
        ):
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                yield BimtekStack(
                    url=f"http://127.0.0.1:{port}",
                    registry=client,
                    registry_app=registry,
                    clock=clock,
                    browser=browser,
                    training_app=training,
                    relay=relay,
                )
            finally:
                await browser.close()
    finally:
        await relay.stop(relaying)
        server.should_exit = True
        await serving
        for app in apps.values():
            await app.state.runtime.engine.dispose()


async def known_to_training(stack: BimtekStack, ids: list[str]) -> None:
    """Wait until the relay told training about `ids` (registry's events applied)."""
    training_app = stack.relay.apps["training"] if stack.relay else None
    assert training_app is not None
    headers = auth_headers(training_app)
    transport = httpx.ASGITransport(app=training_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://training") as client:
        for _ in range(100):
            codes = [
                (await client.get(f"/volunteers/{v}", headers=headers)).status_code for v in ids
            ]
            if codes == [200] * len(ids):
                return
            await asyncio.sleep(0.1)
    raise AssertionError("training never learnt the candidates")
