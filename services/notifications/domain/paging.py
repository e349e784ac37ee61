"""Keyset paging of long lists (the ledger, broadcasts): newest first, ordered by time then
id, continued `after` an opaque cursor naming the last row of the previous page. Pure.

Why keyset, not offset: the ledger grows to millions of rows; an offset re-reads every
skipped row, and rows arriving between two pages would shift an offset page.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notifications.domain.errors import InvalidCursor
from shared.i18n import t

MAX_PAGE = 1000


#: `<microseconds since 1970 UTC>.<id as 32 hex digits>`: every text of this shape is a
#: position in the order (so a well-formed cursor is never refused); clients treat it as opaque.
CURSOR_PATTERN = r"^[0-9]{1,17}\.[0-9a-f]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's time and id."""

    at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """The text a client hands back as `after=`."""
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.id.hex}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The position a cursor names; InvalidCursor (422) for any other text (not echoed)."""
        if not re.fullmatch(CURSOR_PATTERN, text):
            raise InvalidCursor(
                t(
                    "after bukan kursor yang diberikan layanan ini",
                    "after is not a cursor this service gave out",
                ),
                errors=[
                    {
                        "field": "after",
                        "message": t(
                            "bukan kursor dari halaman sebelumnya",
                            "not a cursor from a previous page",
                        ),
                    }
                ],
            )
        micros, hex_id = text.split(".")
        return cls(at=_EPOCH + timedelta(microseconds=int(micros)), id=uuid.UUID(hex=hex_id))
