"""Bulk inserts for imports: one executemany straight through the driver on SQLite.

Why: at 100,000 rows SQLAlchemy's per-row parameter construction is the largest single
cost of an import. On SQLite the rows are converted with the columns' own bind processors
(the same conversion SQLAlchemy applies) and handed to the driver's executemany; other
databases take the ordinary Core path.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str] | None = None,
) -> None:
    """Insert the `keys` columns (default: the first row's keys) of every row, in one go."""
    if not rows:
        return
    keys = list(keys or rows[0])
    conn = await session.connection()
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or ())
    if dialect.name != "sqlite" or set(order) != set(keys):
        await session.execute(insert(table), [{k: r[k] for k in keys} for r in rows])
        return
    get = itemgetter(*order)
    converters = [
        (i, f) for i, k in enumerate(order) if (f := table.c[k].type.bind_processor(dialect))
    ]
    params = []
    for row in rows:
        values = list(get(row))
        for i, f in converters:
            values[i] = f(values[i])
        params.append(tuple(values))
    await conn.exec_driver_sql(compiled.string, params)
