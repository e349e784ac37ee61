"""Bearer tokens: verified once, but expiry, secret and issuer hold on every use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from shared.auth import Role, decode_token, mint_token
from shared.errors import Unauthenticated
from shared.settings import ServiceSettings

T0 = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)  # years from the wall clock: only `now=` counts


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


def test_a_token_accepted_before_is_refused_once_it_has_expired():
    settings = _settings()
    token = mint_token(
        settings, subject="op", role="viewer", scope="32", ttl=timedelta(hours=1), now=T0
    )
    assert decode_token(settings, token, now=T0 + timedelta(minutes=59)).role == Role.VIEWER
    with pytest.raises(Unauthenticated) as refused:
        decode_token(settings, token, now=T0 + timedelta(hours=1))
    assert "rejected" in refused.value.detail
    assert "ExpiredSignature" in refused.value.detail


def test_a_token_is_refused_before_the_instant_it_was_issued_at():
    settings = _settings()
    token = mint_token(settings, subject="op", role="viewer", scope="32", now=T0)
    assert decode_token(settings, token, now=T0).subject == "op"
    with pytest.raises(Unauthenticated) as refused:
        decode_token(settings, token, now=T0 - timedelta(minutes=1))
    assert "ImmatureSignature" in refused.value.detail


def test_a_token_accepted_under_one_secret_is_refused_under_another():
    token = mint_token(_settings("a" * 40), subject="op", role="viewer", scope="32")
    assert decode_token(_settings("a" * 40), token).subject == "op"
    with pytest.raises(Unauthenticated):
        decode_token(_settings("b" * 40), token)
    with pytest.raises(Unauthenticated):
        decode_token(_settings("a" * 40, issuer="someone-else"), token)
