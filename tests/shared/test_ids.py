"""uuid7: RFC 9562 layout, creation-time order, uniqueness."""

from __future__ import annotations

import time
import uuid

from shared.ids import uuid7


def test_uuid7_has_version_7_and_the_rfc_variant():
    u = uuid7()
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    same = uuid.UUID(str(u))  # behaves as any UUID: equality, hashing, text form
    assert same == u and hash(same) == hash(u) and same.int == u.int


def test_uuid7_starts_with_the_creation_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    u = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= u.int >> 80 <= after


def test_uuid7s_made_later_sort_later_and_never_repeat():
    first = [uuid7() for _ in range(2_000)]
    time.sleep(0.002)
    second = [uuid7() for _ in range(2_000)]
    assert max(first) < min(second)
    assert len(set(first + second)) == 4_000


def test_uuid7_is_a_standard_library_uuid():
    u = uuid7()
    assert type(u) is uuid.UUID
    assert uuid.UUID(bytes=u.bytes) == u
