"""Personal identifiers are redacted from free text, logs and error messages."""

from __future__ import annotations

import json
import uuid

import structlog
from hypothesis import given
from hypothesis import strategies as st

from shared.logging import configure_logging
from shared.pii import mask_nik, redact, redact_text


def test_nik_is_redacted_from_text():
    assert redact_text("NIK 3276011705900001 ditolak") == "NIK [NIK] ditolak"


def test_phone_numbers_are_redacted_in_every_common_spelling():
    for phone in (
        "081234567890",
        "+6281234567890",
        "6281234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
    ):
        assert "[PHONE]" in redact_text(f"hubungi {phone} segera"), phone
        assert "3456" not in redact_text(f"hubungi {phone} segera"), phone


def test_uuids_timestamps_and_region_codes_are_left_alone():
    text = f"{uuid.uuid4()} 1795376034275 32.76.01.1006 2026-11-22T19:33:54Z"
    assert redact_text(text) == text


@given(st.from_regex(r"\d{16}", fullmatch=True), st.text(alphabet="abc ,.", max_size=20))
def test_any_sixteen_digit_number_is_redacted(nik, around):
    assert nik not in redact_text(around + nik + around)


def test_redact_walks_nested_structures():
    assert redact({"a": ["3276011705900001", {"b": "081234567890"}], "n": 5}) == {
        "a": ["[NIK]", {"b": "[PHONE]"}],
        "n": 5,
    }


def test_masked_nik_keeps_region_prefix_and_serial_only():
    assert mask_nik("3276011705900001") == "3276********0001"


def test_log_lines_never_contain_nik_or_phone(capsys):
    configure_logging(service="test", fmt="json")
    structlog.get_logger().info("registration failed for 3276011705900001", phone="081234567890")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert "3276011705900001" not in line and "081234567890" not in line
    assert record["phone"] == "[PHONE]" and record["service"] == "test"
