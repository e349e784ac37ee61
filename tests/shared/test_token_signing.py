"""Asymmetric access tokens: one issuer signs with a key id, verifiers hold only public keys
and enforce audience, issuer, algorithm, maximum lifetime and revocations on their clock."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.clock import FrozenClock
from shared.errors import Unauthenticated
from shared.identity import (
    Audience,
    Permission,
    PublicKeys,
    Revocation,
    Revocations,
    RevocationsUnknown,
    Role,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
    UnknownKey,
)

T0 = datetime(2031, 5, 4, 3, 2, 1, tzinfo=UTC)
ISSUER = "psm-registry-test"


def _issuer(clock: FrozenClock, *keys: SigningKey) -> TokenIssuer:
    return TokenIssuer(list(keys) or [SigningKey.generate()], issuer=ISSUER, clock=clock)


def _verifier(
    clock: FrozenClock,
    issuer: TokenIssuer,
    *,
    audience: Audience = Audience.TRAINING,
    revocations: Revocations | None = None,
) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audience=audience,
        keys=PublicKeys(issuer.public_keys.jwks()),
        revocations=revocations or Revocations.followed_elsewhere(),
        clock=clock,
    )


def _operator_token(issuer: TokenIssuer, **overrides: object) -> str:
    claims: dict[str, object] = {
        "subject": "op-1",
        "role": Role.REGENCY_OPERATOR,
        "scope": "32.76",
        "audiences": [Audience.TRAINING, Audience.REGISTRY],
        "session": "s-1",
    }
    claims.update(overrides)
    return issuer.mint(**claims)  # type: ignore[arg-type]


def _tampered(token: str, **claims: object) -> str:
    """The token with its payload changed and the original signature kept."""
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    new = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{new}.{sig}"


def test_a_token_signed_by_the_issuer_gives_its_subject_role_scope_and_session():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    principal = _verifier(clock, issuer).verify(_operator_token(issuer))
    assert (principal.subject, principal.role, principal.scope, principal.session) == (
        "op-1",
        Role.REGENCY_OPERATOR,
        "32.76",
        "s-1",
    )
    assert principal.issued_at == pytest.approx(T0.timestamp())


def test_the_header_names_the_signing_key_and_the_algorithm_is_eddsa():
    key = SigningKey.generate()
    token = _operator_token(_issuer(FrozenClock(T0), key))
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}


def test_the_jwks_publishes_public_keys_only():
    issuer = _issuer(FrozenClock(T0))
    (published,) = issuer.public_keys.jwks()["keys"]
    assert set(published) == {"kty", "crv", "x", "kid", "alg", "use"}
    with pytest.raises(ValueError, match="private"):
        PublicKeys({"keys": [{**published, "d": "secret"}]})


def test_a_token_for_another_audience_is_refused():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    token = _operator_token(issuer, audiences=[Audience.REGISTRY])
    with pytest.raises(Unauthenticated, match="audience"):
        _verifier(clock, issuer, audience=Audience.NOTIFICATIONS).verify(token)


def test_a_token_from_another_issuer_name_is_refused():
    clock = FrozenClock(T0)
    key = SigningKey.generate()
    other = TokenIssuer([key], issuer="someone-else", clock=clock)
    verifier = _verifier(clock, _issuer(clock, key))
    with pytest.raises(Unauthenticated, match="penerbit"):
        verifier.verify(_operator_token(other))


def test_a_token_signed_by_an_unpublished_key_is_refused_as_unknown_key():
    clock = FrozenClock(T0)
    verifier = _verifier(clock, _issuer(clock))
    with pytest.raises(UnknownKey):
        verifier.verify(_operator_token(_issuer(clock)))


def test_changing_a_claim_breaks_the_signature():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    forged = _tampered(_operator_token(issuer), role="national_admin", scope="national")
    with pytest.raises(Unauthenticated, match="tanda tangan"):
        _verifier(clock, issuer).verify(forged)


def test_an_hs256_token_under_a_public_key_and_an_unsigned_token_are_refused():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    claims = {
        "iss": ISSUER,
        "sub": "x",
        "aud": ["psm-training"],
        "iat": T0.timestamp(),
        "exp": T0.timestamp() + 60,
        "jti": "j",
        "role": "national_admin",
        "scope": "national",
    }
    kid = issuer.kid
    hs = jwt.encode(claims, issuer.public_keys.jwks()["keys"][0]["x"], "HS256", {"kid": kid})
    unsigned = jwt.encode(claims, None, "none", {"kid": kid})
    for token in (hs, unsigned):
        with pytest.raises(Unauthenticated):
            _verifier(clock, issuer).verify(token)


def test_the_issuer_refuses_to_sign_beyond_fifteen_minutes():
    issuer = _issuer(FrozenClock(T0))
    assert _operator_token(issuer, ttl=timedelta(minutes=15))
    with pytest.raises(ValueError, match="at most"):
        _operator_token(issuer, ttl=timedelta(days=3650))


def test_a_validly_signed_token_that_lives_too_long_is_refused():
    """A key that leaked (or an issuer misconfigured) cannot hand out ten-year tokens."""
    clock = FrozenClock(T0)
    key = SigningKey.generate()
    lax = TokenIssuer([key], issuer=ISSUER, clock=clock, max_lifetime=timedelta(days=3650))
    token = _operator_token(lax, ttl=timedelta(days=3650))
    with pytest.raises(Unauthenticated, match="batas maksimum"):
        _verifier(clock, _issuer(clock, key)).verify(token)


def test_a_token_is_refused_once_expired_and_before_it_was_issued():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    token = _operator_token(issuer, ttl=timedelta(minutes=10))
    verifier = _verifier(clock, issuer)
    clock.advance(timedelta(minutes=10, seconds=29))
    assert verifier.verify(token).subject == "op-1"  # within the 30 s leeway
    clock.advance(timedelta(seconds=2))
    with pytest.raises(Unauthenticated, match="kedaluwarsa"):
        verifier.verify(token)
    clock.advance(-timedelta(minutes=12))
    with pytest.raises(Unauthenticated, match="belum berlaku"):
        verifier.verify(token)


def test_role_and_scope_must_agree_when_minting():
    issuer = _issuer(FrozenClock(T0))
    for role, scope in [
        (Role.REGENCY_OPERATOR, "32"),
        (Role.PROVINCE_OPERATOR, "national"),
        (Role.NATIONAL_ADMIN, "32.76"),
        (Role.VIEWER, "32.76.01"),
        (Role.VIEWER, "'; drop"),
    ]:
        with pytest.raises(ValueError, match="cakupan"):
            _operator_token(issuer, role=role, scope=scope)


@pytest.mark.parametrize(
    "claims",
    [
        {"scope": ["32"]},
        {"scope": 32},
        {"scope": "32.76.0001.x"},
        {"role": "emperor"},
        {"role": "regency_operator", "scope": "32"},
        {"perms": "contacts:read"},
        {"perms": ["contacts:read"]},
        {"sid": 7},
        {"sub": None},
    ],
    ids=repr,
)
def test_a_malformed_claim_signed_by_the_issuer_is_a_401_not_a_crash(claims):
    """Even a token the issuer signed (a bug, a leaked key) with a broken claim is refused
    cleanly."""
    clock = FrozenClock(T0)
    key = SigningKey.generate()
    payload = {
        "iss": ISSUER,
        "sub": "op",
        "aud": ["psm-training"],
        "iat": T0.timestamp(),
        "exp": T0.timestamp() + 60,
        "jti": "j",
        "role": "regency_operator",
        "scope": "32.76",
        **claims,
    }
    token = jwt.encode(payload, key.private, "EdDSA", {"kid": key.kid})
    with pytest.raises(Unauthenticated):
        _verifier(clock, _issuer(clock, key)).verify(token)


def test_during_a_rotation_tokens_of_the_old_and_the_new_key_both_verify():
    clock = FrozenClock(T0)
    old, new = SigningKey.generate(), SigningKey.generate()
    before = _operator_token(_issuer(clock, old))
    rotated = _issuer(clock, new, old)  # new signs; old still published
    after = _operator_token(rotated)
    assert jwt.get_unverified_header(after)["kid"] == new.kid
    verifier = _verifier(clock, rotated)
    assert verifier.verify(before).subject == verifier.verify(after).subject == "op-1"
    retired = _verifier(clock, _issuer(clock, new))
    with pytest.raises(UnknownKey):
        retired.verify(before)


def test_a_pem_round_trip_keeps_the_key_id():
    key = SigningKey.generate()
    assert SigningKey.from_pem(key.pem()).kid == key.kid
    with pytest.raises(ValueError):
        SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_a_disabled_subjects_earlier_tokens_are_refused_and_later_ones_accepted():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
    verifier = _verifier(clock, issuer, revocations=revocations)
    before = _operator_token(issuer)
    clock.advance(timedelta(milliseconds=5))
    revocations.replace(
        [Revocation("op-1", clock.now().timestamp())], as_of=clock.now().timestamp()
    )
    with pytest.raises(Unauthenticated, match="dicabut"):
        verifier.verify(before)
    clock.advance(timedelta(milliseconds=5))
    assert verifier.verify(_operator_token(issuer)).subject == "op-1"


def test_a_logout_revokes_that_session_only():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
    verifier = _verifier(clock, issuer, revocations=revocations)
    phone, laptop = _operator_token(issuer, session="phone"), _operator_token(issuer, session="pc")
    revocations.replace([Revocation("op-1", T0.timestamp(), session="phone")], as_of=T0.timestamp())
    with pytest.raises(Unauthenticated, match="dicabut"):
        verifier.verify(phone)
    assert verifier.verify(laptop).session == "pc"


def test_verification_fails_closed_when_revocations_are_older_than_a_minute():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    revocations = Revocations(clock=clock, max_staleness=timedelta(seconds=60))
    verifier = _verifier(clock, issuer, revocations=revocations)
    token = _operator_token(issuer)
    with pytest.raises(RevocationsUnknown):
        verifier.verify(token)  # none fetched yet
    revocations.replace([], as_of=T0.timestamp())
    assert verifier.verify(token).subject == "op-1"
    clock.advance(timedelta(seconds=61))
    with pytest.raises(RevocationsUnknown):
        verifier.verify(token)


def test_service_tokens_carry_permissions_and_operators_cannot():
    clock = FrozenClock(T0)
    issuer = _issuer(clock)
    token = issuer.mint(
        subject="notifications",
        role=Role.SERVICE,
        scope="national",
        audiences=[Audience.REGISTRY],
        permissions=[Permission.CONTACTS_READ],
    )
    principal = _verifier(clock, issuer, audience=Audience.REGISTRY).verify(token)
    assert principal.may(Permission.CONTACTS_READ)
    assert not principal.may(Permission.REVOCATIONS_READ)
    with pytest.raises(ValueError, match="service"):
        _operator_token(issuer, permissions=[Permission.CONTACTS_READ])
