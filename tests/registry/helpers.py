"""Helpers of registry's tests: the app over HTTP without a broker, tokens per operator."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text

from services.registry.config import Settings
from services.registry.main import create_app
from shared.auth import Role
from shared.clock import Clock
from tests.builders import auth_headers, token_settings
from tests.support import migrate, settings_for

NATIONAL = {"role": Role.NATIONAL_ADMIN, "scope": "national"}
JABAR = {"role": Role.PROVINCE_OPERATOR, "scope": "32"}
DEPOK = {"role": Role.REGENCY_OPERATOR, "scope": "32.76"}
BEKASI = {"role": Role.REGENCY_OPERATOR, "scope": "32.75"}
VIEWER = {"role": Role.VIEWER, "scope": "32.76"}
SERVICE = {"role": Role.SERVICE, "scope": "national"}


@dataclass
class Registry:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    def headers(self, who: dict[str, Any], subject: str = "op@test") -> dict[str, str]:
        return auth_headers(self.app, subject=subject, **who)

    async def post(self, path: str, who: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.client.post(path, headers=self.headers(who), **kw)

    async def get(self, path: str, who: dict[str, Any], **kw: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(who), **kw)

    async def sql(self, query: str, **params: Any) -> list[Any]:
        async with self.app.state.runtime.engine.connect() as conn:
            return list((await conn.execute(text(query), params)).all())

    async def outbox_events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        outbox = self.app.state.runtime.outbox
        async with self.app.state.runtime.engine.connect() as conn:
            rows = (await conn.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
        return [
            {"type": r["event_type"], "key": r["key"], **json.loads(r["payload"])}
            for r in rows
            if event_type is None or r["event_type"] == event_type
        ]


@contextlib.asynccontextmanager
async def registry_http(
    database_url: str, *, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Registry]:
    """registry's HTTP API on a migrated database; no broker (events stay in the outbox)."""
    await migrate("registry", database_url)
    settings = settings_for(
        "registry",
        database_url=database_url,
        bootstrap="127.0.0.1:1",
        **{**token_settings("registry"), **overrides},
    )
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Registry(app, client, settings)
    finally:
        await app.state.runtime.engine.dispose()
