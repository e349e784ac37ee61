"""Bulk inserts for imports: one executemany straight through the driver on SQLite.

Why: at 100,000 rows SQLAlchemy's per-row parameter construction is the largest single
cost of an import. On SQLite the rows are converted with the columns' own bind processors
(the same conversion SQLAlchemy applies) and handed to the driver's executemany; other
databases take the ordinary Core path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys (one executemany)."""
    if not rows:
        return
    conn = await session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or ())
    if dialect.name != "sqlite" or set(order) != set(keys):
        await session.execute(insert(table), rows)
        return
    converters = [(k, table.c[k].type.bind_processor(dialect)) for k in order]
    params = [tuple(f(r[k]) if f else r[k] for k, f in converters) for r in rows]
    await conn.exec_driver_sql(compiled.string, params)
