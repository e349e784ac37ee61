"""The volunteer page in a real browser: an operator sends the one-time link from the person
page; it lands in notifications' development channel; opened in a fresh browser it shows the
volunteer's own status, certificate (PDF) and lets them change their quiet hours; a second
use and an expired link are refused with the Indonesian page.

registry and notifications are real apps on loopback (registry reaches notifications there,
notifications reads contacts from registry there), training in-process, one frozen clock."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import async_playwright

from services.console.config import Settings as ConsoleSettings
from services.console.main import create_app as create_console
from services.training.service import volunteers as training_volunteers
from shared.clock import FrozenClock
from tests.builders import auth_headers, volunteer_payload
from tests.console.browser import CHROMIUM, ConsoleStack, free_port, screenshot
from tests.notifications.helpers import consume, notifications_app, registered
from tests.registry.helpers import registry_http
from tests.training.helpers import Training, certify, training_app
from tests.training.helpers import registered as training_registered

pytestmark = [pytest.mark.browser, pytest.mark.subprocess]

DEPOK = "depok@dinsos.go.id"


@contextlib.asynccontextmanager
async def serve_on(app: FastAPI, port: int) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def volunteer_stack(tmp: Path) -> AsyncIterator[dict[str, Any]]:
    clock = FrozenClock(datetime.now(UTC))
    ports = {name: free_port() for name in ("registry", "notifications", "console")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    async with (
        registry_http(
            f"sqlite+aiosqlite:///{tmp}/r.db",
            clock=clock,
            notifications_url=url["notifications"],
            login_rate_per_minute=1000.0,
            login_rate_burst=1000,
        ) as registry,
        serve_on(registry.app, ports["registry"]),
        notifications_app(
            f"sqlite+aiosqlite:///{tmp}/n.db",
            registry_url=url["registry"],
            clock=clock,
            console_url=url["console"],
        ) as notifications,
        serve_on(notifications, ports["notifications"]),
        training_app(f"sqlite+aiosqlite:///{tmp}/t.db") as training,
    ):
        console = create_console(
            ConsoleSettings(
                environment="test",
                public_base_url=url["console"],
                session_secret="browser-test-session-secret-0123456789",
                log_format="console",
            ),
            clock=clock,
            transports={
                "registry": httpx.ASGITransport(app=registry.app, client=("10.9.8.7", 4000)),
                "training": httpx.ASGITransport(app=training.app),
                "notifications": httpx.ASGITransport(app=notifications),
            },
        )
        async with serve_on(console, ports["console"]), async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                yield {
                    "stack": ConsoleStack(
                        url["console"], registry.client, registry.app, clock, browser
                    ),
                    "registry": registry,
                    "notifications": notifications,
                    "training": training,
                }
            finally:
                await browser.close()


async def certified_volunteer(parts: dict[str, Any]) -> str:
    """Siti Aminah of Kota Depok, known to notifications and holding a dasar certificate."""
    stack: ConsoleStack = parts["stack"]
    await stack.account(DEPOK, "regency_operator", "32.76")
    vid = await stack.register(volunteer_payload(), scope="32.76")
    await consume(parts["notifications"], registered(uuid.UUID(vid)))
    training: Training = parts["training"]
    async with training.runtime.sessionmaker() as s, s.begin():
        event = training_registered(volunteer_id=uuid.UUID(vid), status="active")
        await training_volunteers.record_volunteer(s, event, now=datetime.now(UTC))
    await certify(training, [vid])
    return vid


def link_in(notifications: FastAPI, console_url: str) -> str:
    """The page link in the last message of the development channel."""
    message = notifications.state.service.dev_messages[-1]
    assert message["template"] == "access-link"
    found = re.search(re.escape(console_url) + r"/v/[A-Za-z0-9_-]+", message["body"])
    assert found, "no page link in the message"
    return found.group(0)


async def test_a_volunteer_opens_their_page_once_with_the_link_an_operator_sent(tmp_path):
    async with volunteer_stack(tmp_path) as parts:
        stack: ConsoleStack = parts["stack"]
        vid = await certified_volunteer(parts)

        async with stack.page() as operator:
            await stack.sign_in(operator, DEPOK)
            await operator.goto(f"{stack.url}/psm/{vid}")
            await operator.click("text=Kirim tautan halaman PSM")
            await operator.wait_for_url(f"{stack.url}/psm/{vid}?ok=tautan")
            assert "Tautan halaman PSM sudah dikirim" in await operator.inner_text("main")
            # the operator's session does not open the volunteer's page
            await operator.goto(f"{stack.url}/saya")
            assert "minta tautan baru" in (await operator.inner_text("main")).lower()
        link = link_in(parts["notifications"], stack.url)

        async with stack.page() as phone:
            await phone.goto(link)
            assert "Tautan ini hanya dapat dipakai sekali" in await phone.inner_text("main")
            await screenshot(phone, "tautan")
            await phone.click("text=Buka halaman saya")
            await phone.wait_for_url(f"{stack.url}/saya")
            page = await phone.inner_text("main")
            assert "Siti Aminah" in page and "Calon" in page
            assert "/v/" not in phone.url
            async with phone.expect_download() as download:
                await phone.click("text=Unduh PDF")
            pdf = await asyncio.to_thread(Path(await (await download.value).path()).read_bytes)
            assert pdf.startswith(b"%PDF")
            await phone.select_option("#f-quiet-start", "20")
            await phone.select_option("#f-quiet-end", "7")
            await phone.click("text=Simpan")
            await phone.wait_for_url(f"{stack.url}/saya?ok=1")
            assert "Tersimpan." in await phone.inner_text("main")
            assert await phone.input_value("#f-quiet-start") == "20"
            assert await phone.input_value("#f-quiet-end") == "7"
            await screenshot(phone, "saya")
            # the volunteer's session does not open operator pages
            await phone.goto(f"{stack.url}/psm/{vid}")
            assert phone.url.startswith(f"{stack.url}/masuk")

        async with stack.page() as again:
            await again.goto(link)
            await again.click("text=Buka halaman saya")
            text = await again.inner_text("main")
            assert "sudah dipakai atau sudah kedaluwarsa" in text
            assert "operator Dinas Sosial" in text

        # an expired link: sent, then a day and a minute pass
        headers = auth_headers(stack.registry_app, role="regency_operator", scope="32.76")
        sent = await stack.registry.post(f"/volunteers/{vid}/access-link", headers=headers)
        assert sent.status_code == 202, sent.text
        expired = link_in(parts["notifications"], stack.url)
        stack.clock.advance(timedelta(days=1, minutes=1))
        async with stack.page() as late:
            await late.goto(expired)
            await late.click("text=Buka halaman saya")
            assert "sudah dipakai atau sudah kedaluwarsa" in await late.inner_text("main")
            await screenshot(late, "tautan_habis")
