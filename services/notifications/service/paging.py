"""Keyset pages of a query: newest first by (time, id), one row more than asked to know
whether another page follows (`domain/paging.py` has the cursor)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, or_

from services.notifications.domain.paging import Cursor

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the cursor of the next page (None: this was the last)."""

    items: list[T]
    next: Cursor | None


def keyset(stmt: Any, at: Any, id_: Any, *, after: Cursor | None, limit: int) -> Any:
    """`stmt` ordered newest first by (at, id), after the cursor, `limit` + 1 rows."""
    if after is not None:
        stmt = stmt.where(or_(at < after.at, and_(at == after.at, id_ < after.id)))
    return stmt.order_by(at.desc(), id_.desc()).limit(limit + 1)


def page_of(rows: list[T], limit: int, key: Callable[[T], tuple[datetime, uuid.UUID]]) -> Page[T]:
    """The first `limit` rows, and a cursor at the last of them if more rows followed."""
    if len(rows) <= limit:
        return Page(rows, None)
    at, id_ = key(rows[limit - 1])
    return Page(rows[:limit], Cursor(at=at, id=id_))
