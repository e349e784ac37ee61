"""The one-time page link travels registry → notifications → the volunteer's channel (the
development channel here), and the ledger keeps it masked; the volunteer's own preferences
and quiet hours, with their token, and the dispatcher honouring those quiet hours.

Registry is the real app on loopback (notifications reads contacts there; registry reaches
notifications there); notifications' read model is fed the registration event in-process."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.identity import VOLUNTEER_AUDIENCES, Role
from tests.builders import auth_headers, bearer, make_issuer, volunteer_payload
from tests.notifications.helpers import consume, notifications_app, registered, serve
from tests.registry.helpers import DEPOK, registry_http
from tests.support import fresh_database
from tools.broker import free_port

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB
CONSOLE = "https://psm.example.id"


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
async def platform(database_url: str, tmp_path: Any, clock: FrozenClock) -> AsyncIterator[Any]:
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    port = free_port()
    async with (
        fresh_database(backend, tmp_path) as registry_db,
        registry_http(
            registry_db, clock=clock, notifications_url=f"http://127.0.0.1:{port}"
        ) as registry,
        serve(registry.app) as registry_url,
        notifications_app(
            database_url, registry_url=registry_url, clock=clock, console_url=CONSOLE
        ) as app,
        serve_on(app, port),
    ):
        yield registry, app


async def link_to(registry: Any, app: FastAPI, vid: str) -> str:
    r = await registry.post(f"/volunteers/{vid}/access-link", DEPOK)
    assert r.status_code == 202, r.text
    message = app.state.service.dev_messages[-1]
    assert message["template"] == "access-link"
    found = re.search(re.escape(CONSOLE) + r"/v/([A-Za-z0-9_-]+)", message["body"])
    assert found, message["body"]
    assert "sekali pakai" in message["body"] and "berlaku 24 jam" in message["body"]
    return found.group(1)


async def test_the_link_reaches_the_volunteers_channel_and_the_ledger_keeps_it_masked(
    database_url, tmp_path
):
    async with platform(database_url, tmp_path, FrozenClock(MORNING_WIB)) as (registry, app):
        r = await registry.post("/volunteers", DEPOK, json=volunteer_payload())
        vid = r.json()["id"]
        await consume(app, registered(uuid.UUID(vid)))
        code = await link_to(registry, app, vid)
        assert "Siti Aminah" in app.state.service.dev_messages[-1]["body"]

        async with app.state.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT status, body, context FROM notifications WHERE template = :t"),
                    {"t": "access-link"},
                )
            ).all()
        [(status, body, context)] = rows
        assert status == "sent" and "/v/••••••" in body
        assert code not in body and code not in context

        # the code works once, at registry
        redeemed = await registry.client.post("/auth/volunteer-link", json={"code": code})
        assert redeemed.status_code == 200, redeemed.text


async def test_a_volunteer_sets_their_quiet_hours_and_the_dispatcher_waits_for_them(
    database_url, tmp_path
):
    clock = FrozenClock(MORNING_WIB)
    async with platform(database_url, tmp_path, clock) as (registry, app):
        r = await registry.post("/volunteers", DEPOK, json=volunteer_payload())
        vid = r.json()["id"]
        await consume(app, registered(uuid.UUID(vid)))  # queues the welcome message
        code = await link_to(registry, app, vid)
        token = (await registry.client.post("/auth/volunteer-link", json={"code": code})).json()[
            "access_token"
        ]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications"
        ) as notifications:
            before = await notifications.get("/me/preferences", headers=bearer(token))
            assert before.status_code == 200, before.text
            assert before.json()["quiet_hours_own"] is False
            assert (before.json()["quiet_start_hour"], before.json()["quiet_end_hour"]) == (21, 6)
            assert before.json()["timezone"] == "WIB"

            changed = await notifications.put(
                "/me/preferences",
                headers=bearer(token),
                json={
                    "channel_order": ["sms", "whatsapp", "email"],
                    "quiet_start_hour": 9,
                    "quiet_end_hour": 7,  # quiet from 09.00 over night to 07.00: all day now
                },
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["quiet_hours_own"] is True
            assert changed.json()["channel_order"][0] == "sms"

            backwards = await notifications.put(
                "/me/preferences",
                headers=bearer(token),
                json={"quiet_start_hour": 5, "quiet_end_hour": 22},
            )
            assert backwards.status_code == 422

            # an operator of the region sees the volunteer's new channel order
            seen = await notifications.get(
                f"/volunteers/{vid}/preferences",
                headers=auth_headers(app, role=Role.REGENCY_OPERATOR, scope="32.76"),
            )
            assert seen.json()["channel_order"][0] == "sms"

            # another volunteer's token reads only that volunteer, never this one
            stranger = str(uuid.uuid4())
            other = make_issuer(clock).mint(
                subject=stranger, role=Role.VOLUNTEER, scope=stranger, audiences=VOLUNTEER_AUDIENCES
            )
            answer = await notifications.get("/me/preferences", headers=bearer(other))
            assert answer.status_code == 404 and vid not in answer.text

        await delivery.dispatch_once(app.state.service)
        async with app.state.runtime.engine.connect() as conn:
            welcome = (
                await conn.execute(
                    text("SELECT status FROM notifications WHERE template != :t"),
                    {"t": "access-link"},
                )
            ).all()
        assert [s for (s,) in welcome] == ["deferred"]  # 10.00 WIB lies in 09.00–07.00
