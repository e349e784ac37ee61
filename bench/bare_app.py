"""The bare endpoint: the same single INSERT / SELECT on the same registry database, with
nothing else (no validation, auth, encryption, audit, outbox). Served by uvicorn:

    BENCH_DATABASE_URL=sqlite+aiosqlite:///var/registry.db \
        uvicorn --factory bench.bare_app:create_app
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from shared.db import make_engine

LIST = text(
    "SELECT * FROM volunteers WHERE regency_code = :regency AND erased_at IS NULL "
    "ORDER BY registered_at DESC, id DESC LIMIT :limit"
)


def create_app() -> FastAPI:
    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    template: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT * FROM volunteers LIMIT 1"))).mappings().one()
        template.update(row)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/volunteers", status_code=201)
    async def insert(body: dict[str, Any]) -> dict[str, str]:
        values = {
            **template,
            "id": uuid.uuid4().hex,
            "nik_hash": uuid.uuid4().hex,
            "full_name": str(body.get("full_name", "")),
            "registered_at": datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "),
        }
        names = ", ".join(values)
        params = ", ".join(f":{k}" for k in values)
        async with engine.begin() as conn:
            # The column names are this app's own keys; the values are bound parameters.
            await conn.execute(text(f"INSERT INTO volunteers ({names}) VALUES ({params})"), values)  # noqa: S608
        return {"id": values["id"]}

    @app.get("/volunteers")
    async def select(regency: str, limit: int = 50) -> dict[str, Any]:
        async with engine.connect() as conn:
            rows = (await conn.execute(LIST, {"regency": regency, "limit": limit})).mappings().all()
        return {"items": [{"id": r["id"], "full_name": r["full_name"]} for r in rows]}

    return app
