"""Time-ordered UUIDs (version 7, RFC 9562) for rows written in bulk.

Why: a random (v4) primary key lands on a random page of the key's B-tree, so at hundreds
of thousands of rows nearly every insert touches a page that is not in the cache. A v7 id
starts with the Unix time in milliseconds, so new ids append at the right edge of the index
(measured on the registry's import writer: +15–20 % rows per CPU-second at 100,000 rows).
The 74 random bits keep ids unguessable; the embedded time is the creation time, which the
records and events carry anyway.
"""

from __future__ import annotations

import os
import time
import uuid

_new = object.__new__
_set = object.__setattr__
_RAND_A = (1 << 12) - 1
_RAND_B = (1 << 62) - 1


def uuid7() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds, version, 74 random bits, variant."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (ms & ((1 << 48) - 1)) << 80
        | 0x7 << 76
        | (rand >> 62 & _RAND_A) << 64
        | 0b10 << 62
        | (rand & _RAND_B)
    )
    # UUID(int=...) re-checks the range and the version; both hold by construction.
    u = _new(uuid.UUID)
    _set(u, "int", value)
    _set(u, "is_safe", uuid.SafeUUID.unknown)
    return u
