"""The console on a loopback uvicorn server over in-process registry and training (their
real apps and databases; no broker: events stay in the outboxes), and Chromium driven by
Playwright. Debian's Chromium (`make chromium`), never a downloaded browser."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from services.console.config import Settings as ConsoleSettings
from services.console.main import create_app as create_console
from services.registry.main import create_app as create_registry
from services.training.main import create_app as create_training
from shared.clock import FrozenClock
from tests.builders import auth_headers, token_settings
from tests.support import migrate, settings_for
from tools.services import ROOT

CHROMIUM = os.environ.get("PSM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "artifacts" / "screenshots"
PASSWORD = "kuda-lumping-7-gamelan"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ConsoleStack:
    """The console's URL, the services behind it, its clock and a browser."""

    url: str
    registry: httpx.AsyncClient
    registry_app: Any
    clock: FrozenClock
    browser: Browser
    #: training's app, for tests that reach training's state (its read model, certificates)
    training_app: Any = None

    def admin(self) -> dict[str, str]:
        """A national admin's headers at registry (the test issuer's token)."""
        return auth_headers(self.registry_app)

    async def account(self, email: str, role: str, scope: str) -> None:
        """An operator account with PASSWORD."""
        body = {"email": email, "role": role, "scope": scope, "password": PASSWORD}
        r = await self.registry.post("/operators", json=body, headers=self.admin())
        assert r.status_code == 201, r.text

    async def register(self, body: dict[str, Any], *, scope: str) -> str:
        """A volunteer registered straight at registry by a regency operator of `scope`."""
        headers = auth_headers(self.registry_app, role="regency_operator", scope=scope)
        r = await self.registry.post("/volunteers", json=body, headers=headers)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[Page]:
        """A fresh browser context (own cookies) on a phone-sized screen."""
        context = await self.browser.new_context(
            viewport={"width": 390, "height": 844}, accept_downloads=True
        )
        try:
            yield await context.new_page()
        finally:
            await context.close()

    async def sign_in(self, page: Page, email: str) -> None:
        """Sign in through the form."""
        await page.goto(self.url + "/masuk")
        await page.fill("#f-email", email)
        await page.fill("#f-password", PASSWORD)
        await page.click("main button[type=submit]")
        await page.wait_for_url(self.url + "/dasbor")


async def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot of the page as a test artifact (var/artifacts/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@contextlib.asynccontextmanager
async def console_stack(tmp: Path) -> AsyncIterator[ConsoleStack]:
    """registry and training in-process, the console on uvicorn, Chromium headless."""
    registry_url, training_url = (
        f"sqlite+aiosqlite:///{tmp}/r.db",
        f"sqlite+aiosqlite:///{tmp}/t.db",
    )
    await migrate("registry", registry_url)
    await migrate("training", training_url)
    no_broker = "127.0.0.1:1"
    registry = create_registry(
        settings_for(
            "registry",
            database_url=registry_url,
            bootstrap=no_broker,
            login_rate_per_minute=1000.0,
            login_rate_burst=1000,
            **token_settings("registry"),
        )
    )
    training = create_training(
        settings_for(
            "training", database_url=training_url, bootstrap=no_broker, **token_settings("training")
        )
    )
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
        },
    )
    server = uvicorn.Server(
        uvicorn.Config(console, host="127.0.0.1", port=port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
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
                yield ConsoleStack(
                    f"http://127.0.0.1:{port}", client, registry, clock, browser, training
                )
            finally:
                await browser.close()
    finally:
        server.should_exit = True
        await serving
        await registry.state.runtime.engine.dispose()
        await training.state.runtime.engine.dispose()
