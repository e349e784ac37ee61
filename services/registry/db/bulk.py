"""Bulk inserts for imports: one executemany straight through the driver on SQLite.

Why: at 100,000 rows SQLAlchemy's per-row parameter construction is the largest single
cost of an import. On SQLite the rows are converted with the columns' own bind processors
(the same conversion SQLAlchemy applies) and handed to the driver's executemany; other
databases take the ordinary Core path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncSession

_SQLITE = sqlite_dialect.dialect()


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


@dataclass
class PreparedRows:
    """Rows made ready for one INSERT, possibly in another process (they pickle cheaply).

    On SQLite `rows` are tuples of driver parameters for `sql` (bind processors already
    applied: plain str/int/float/None), so the writer only hands them to the driver; on other
    databases they are dicts for the ordinary Core path.
    """

    table: str
    keys: list[str]
    rows: list[Any]
    sql: str | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, keep: Sequence[int]) -> PreparedRows:
        """Only the rows at the positions `keep`."""
        return PreparedRows(self.table, self.keys, [self.rows[i] for i in keep], self.sql)


def prepare_rows(
    table: Table, rows: list[dict[str, Any]], keys: Sequence[str], *, sqlite: bool
) -> PreparedRows:
    """Bind the `keys` columns of every row for `insert_prepared` (pure CPU, no connection)."""
    keys = list(keys)
    if not sqlite or not rows:
        return PreparedRows(table.name, keys, [{k: r[k] for k in keys} for r in rows])
    dialect = _SQLITE
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = list(compiled.positiontup or ())
    get = itemgetter(*order)
    converters = [
        (i, f) for i, k in enumerate(order) if (f := table.c[k].type.bind_processor(dialect))
    ]
    # A value that is the same object as the previous row's (the import's time, status,
    # dataset version, actor) is converted once: half of an import row's columns are.
    last: list[Any] = [_UNSET] * len(converters)
    done: list[Any] = [None] * len(converters)
    params = []
    for row in rows:
        values = list(get(row)) if len(order) > 1 else [get(row)]
        for j, (i, f) in enumerate(converters):
            value = values[i]
            if value is not last[j]:
                last[j], done[j] = value, f(value)
            values[i] = done[j]
        params.append(tuple(values))
    return PreparedRows(table.name, keys, params, compiled.string)


_UNSET: Any = object()


async def insert_prepared(session: AsyncSession, table: Table, prepared: PreparedRows) -> None:
    """Insert rows made by `prepare_rows` in the session's transaction."""
    if not prepared.rows:
        return
    conn = await session.connection()
    if prepared.sql is not None and conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(prepared.sql, prepared.rows)
    else:
        await session.execute(insert(table), prepared.rows)
