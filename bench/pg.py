"""Fresh PostgreSQL databases for one run (one per service), dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from tools.services import SERVICES

ADMIN_URL = os.environ.get(
    "PSM_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def shown_url() -> str:
    """ADMIN_URL without its password (it goes into the summary)."""
    return make_url(ADMIN_URL).render_as_string(hide_password=True)


async def server_version() -> str | None:
    """The server's version (`SHOW server_version`), or None when it cannot be reached
    within a few seconds."""
    engine = create_async_engine(ADMIN_URL)
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar_one())
    except Exception:
        return None
    finally:
        await engine.dispose()


async def reachable() -> bool:
    return await server_version() is not None


@contextlib.asynccontextmanager
async def databases() -> AsyncIterator[dict[str, str]]:
    """{service: url} of new empty databases."""
    tag = uuid.uuid4().hex[:8]
    names = {s: f"psm_bench_{s}_{tag}" for s in SERVICES}
    admin = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            for name in names.values():
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        base = ADMIN_URL.rsplit("/", 1)[0]
        yield {s: f"{base}/{name}" for s, name in names.items()}
    finally:
        async with admin.connect() as conn:
            for name in names.values():
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
