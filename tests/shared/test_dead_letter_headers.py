"""Dead letters keep only the platform's envelope headers, in their own shapes, bounded."""

from __future__ import annotations

import uuid

from shared.dead_letters import HEADER_VALUE_MAX, kept_headers, kept_key
from shared.events.envelope import Envelope


def _encoded(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers.items()]


def test_every_header_of_the_platforms_envelope_is_kept_as_it_was():
    envelope = Envelope("session-cancelled", "training", correlation_id="req-1:a.b_c")
    headers = {k: v for k, v in envelope.to_headers().items() if k.startswith("ce_")}
    assert kept_headers(_encoded(headers)) == (headers, 0)


def test_unknown_headers_and_extensions_are_left_out_and_counted():
    kept, left_out = kept_headers(
        [
            ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_note", b"hubungi Bu Siti 081234567890"),
            ("x-operator-email", b"siti@example.id"),
            ("content-type", b"application/json"),
        ]
    )
    assert list(kept) == ["ce_id"] and left_out == 3


def test_a_known_header_with_a_value_of_another_shape_is_left_out():
    kept, left_out = kept_headers(
        [
            ("ce_correlationid", b"Siti Aminah 081234567890"),
            ("ce_type", b"Volunteer Registered!"),
            ("ce_id", b"3276011705900001"),
        ]
    )
    assert (kept, left_out) == ({}, 3)


def test_an_over_long_value_is_cut_to_the_bound():
    kept, _ = kept_headers([("ce_correlationid", b"r" * 5000)])
    assert kept == {"ce_correlationid": "r" * HEADER_VALUE_MAX}


def test_a_repeated_header_keeps_its_first_value_only():
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    kept, left_out = kept_headers([("ce_id", first.encode()), ("ce_id", second.encode())])
    assert (kept, left_out) == ({"ce_id": first}, 1)


def test_the_key_is_kept_only_when_it_is_an_aggregate_id():
    key = str(uuid.uuid4()).encode()
    assert kept_key(key) == key
    assert kept_key(b"3276011705900001") is None
    assert kept_key(None) is None
