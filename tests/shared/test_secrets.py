"""shared.secrets: which values may protect production data, and the secret files."""

from __future__ import annotations

import base64
import secrets

import pytest

from shared.secrets import DEFAULT_SECRETS_DIR, DEVELOPMENT_KEY, secrets_dir, weakness


@pytest.mark.parametrize(
    "generated",
    [
        secrets.token_urlsafe(32),
        secrets.token_hex(32),
        base64.b64encode(secrets.token_bytes(32)).decode(),
    ],
    ids=["urlsafe", "hex", "base64"],
)
def test_generated_values_are_accepted(generated):
    assert weakness(generated) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("Xq7-vT2p", "shorter than 32"),
        (DEVELOPMENT_KEY, "known"),
        ("dev-only-change-me", "known"),
        ("REGISTRY-DEV", "known"),
        ("my-own-value-but-CHANGEME-4f9a8b7c6d5e", "known"),
        ("a" * 32, "distinct"),
        ("ab12" * 10, "distinct"),
        ("abcdefghijklm" * 3, "short pattern"),
        ("abcdefghijklmnopqrstuvwxyz012345", "consecutive"),
        ("Zk3" + "98765432" + "Qp7wLx2Rt9Vb4Nm6Hy8Jf1Gd", "consecutive"),
    ],
)
def test_weak_values_are_refused_with_a_reason(value, reason):
    answer = weakness(value)
    assert answer is not None and reason in answer


def test_the_reason_never_contains_the_value():
    for value in ("x" * 40, "short-one", DEVELOPMENT_KEY, "abcdefghijklm" * 3):
        answer = weakness(value)
        assert answer is not None and value not in answer


def test_secret_files_are_read_from_the_configured_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PSM_SECRETS_DIR", str(tmp_path))
    assert secrets_dir() == tmp_path
    monkeypatch.delenv("PSM_SECRETS_DIR")
    expected = DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None
    assert secrets_dir() == expected
