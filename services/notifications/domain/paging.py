"""Keyset paging of long lists (the ledger, broadcasts): newest first, ordered by time then
id, continued `after` an opaque cursor naming the last row of the previous page. Pure.

Why keyset, not offset: the ledger grows to millions of rows; an offset re-reads every
skipped row, and rows arriving between two pages would shift an offset page.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.notifications.domain.errors import InvalidCursor

MAX_PAGE = 1000


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's time and id."""

    at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """The opaque text a client hands back as `after=`."""
        raw = json.dumps({"t": self.at.isoformat(), "i": str(self.id)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor `encode` wrote; InvalidCursor (422) for anything else (never echoed)."""
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            at = datetime.fromisoformat(data["t"])
            if at.tzinfo is None:
                raise ValueError("a cursor's time is aware")
            return cls(at=at, id=uuid.UUID(data["i"]))
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise InvalidCursor(
                "after is not a cursor this service gave out",
                errors=[{"field": "after", "message": "not a cursor from a previous page"}],
            ) from None
