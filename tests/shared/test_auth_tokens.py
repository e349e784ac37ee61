"""Bearer tokens: verified once, but expiry, secret and issuer hold on every use."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from pydantic import SecretStr

from shared import identity as auth
from shared.auth import Role, decode_token, mint_token
from shared.errors import Unauthenticated
from shared.settings import ServiceSettings


def _settings(secret: str = "s" * 40, issuer: str = "psm-test") -> ServiceSettings:
    return ServiceSettings(
        database_url="sqlite://", jwt_secret=SecretStr(secret), jwt_issuer=issuer
    )


def test_a_valid_token_gives_its_role_and_scope():
    settings = _settings()
    token = mint_token(settings, subject="op", role=Role.REGENCY_OPERATOR, scope="32.76")
    principal = decode_token(settings, token)
    assert (principal.subject, principal.role, principal.scope) == (
        "op",
        "regency_operator",
        "32.76",
    )


def test_a_token_accepted_before_is_refused_once_it_has_expired(monkeypatch):
    settings = _settings()
    token = mint_token(settings, subject="op", role="viewer", scope="32", ttl=timedelta(hours=1))
    assert decode_token(settings, token).role == Role.VIEWER
    later = time.time() + 2 * 3600
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthenticated) as refused:
        decode_token(settings, token)
    assert "rejected" in refused.value.detail
    assert "ExpiredSignature" in refused.value.detail


def test_a_token_accepted_under_one_secret_is_refused_under_another():
    token = mint_token(_settings("a" * 40), subject="op", role="viewer", scope="32")
    assert decode_token(_settings("a" * 40), token).subject == "op"
    with pytest.raises(Unauthenticated):
        decode_token(_settings("b" * 40), token)
    with pytest.raises(Unauthenticated):
        decode_token(_settings("a" * 40, issuer="someone-else"), token)
