"""Fresh PostgreSQL databases for one run (one per service), dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tools.services import SERVICES

ADMIN_URL = os.environ.get(
    "PSM_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def reachable() -> bool:
    engine = create_async_engine(ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


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
