"""Builders for test data (`make_x(**overrides)`): realistic, valid by default.

Owned by the registry work: when registration needs more fields, this builder follows, so
every other test keeps producing valid volunteers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import SYSTEM_CLOCK, Clock
from shared.identity import (
    OPERATOR_AUDIENCES,
    Audience,
    Permission,
    Role,
    SigningKey,
    TokenIssuer,
)

DEPOK_VILLAGE = "32.76.01.1006"  # Kel. Depok, Kec. Pancoran Mas, Kota Depok (Jawa Barat)
BEKASI_VILLAGE = "32.75.01.1001"  # a village of Kota Bekasi

_serial = itertools.count(1)


def make_nik(
    *,
    region: str = "327601",
    birth: date = date(1990, 5, 17),
    female: bool = False,
    serial: int | None = None,
) -> str:
    """A NIK consistent with region, birth date and sex (day + 40 for women)."""
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{(serial or next(_serial)) % 10000:04d}"


def volunteer_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /volunteers body (a fresh NIK each call, consistent with birth date and sex)."""
    birth = date(1990, 5, 17)
    female = overrides.pop("female", False)
    body: dict[str, Any] = {
        "nik": make_nik(birth=birth, female=female),
        "full_name": "Siti Aminah",
        "birth_place": "Depok",
        "birth_date": birth.isoformat(),
        "sex": "P" if female else "L",
        "village_code": DEPOK_VILLAGE,
        "address": "Jl. Margonda Raya No. 1",
        "phone": "081234567890",
        "consents": {"data_processing": True, "contact": True},
    }
    body.update(overrides)
    return body


# --- Tokens: one fixed test signing key, the same in every worker and every process a test
# starts (derived from a fixed seed; tests/conftest.py puts it in the environment so every
# Settings() verifies it: registry signs with it, training and notifications hold its JWKS).
TEST_SIGNING_KEY = SigningKey.of(
    Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"psm tests: token signing key").digest())
)
TEST_TOKEN_ISSUER = "psm-registry"
#: the public half, as training's and notifications' `token_public_keys`
TEST_JWKS = json.dumps({"keys": [TEST_SIGNING_KEY.public_jwk()]})
#: the private key, as registry's `signing_keys`
TEST_SIGNING_KEY_PEM = TEST_SIGNING_KEY.pem().decode()


#: each service's client secret at registry's /auth/token (registry knows them all)
TEST_CLIENT_SECRETS = {
    "notifications": "notifications-test-client-secret",
    "training": "training-test-client-secret",
}


def token_env() -> dict[str, str]:
    """The environment that makes every service verify the test issuer's tokens (and
    registry sign with its key and know the services' client secrets); revocations are
    followed elsewhere."""
    env = {
        "REGISTRY_SIGNING_KEYS": TEST_SIGNING_KEY_PEM,
        "REGISTRY_SERVICE_CLIENT_SECRETS": json.dumps(TEST_CLIENT_SECRETS),
    }
    for service in ("registry", "training", "notifications"):
        env[f"{service.upper()}_TOKEN_PUBLIC_KEYS"] = TEST_JWKS
    for service, secret in TEST_CLIENT_SECRETS.items():
        env[f"{service.upper()}_SERVICE_CLIENT_SECRET"] = secret
    return env


def token_settings(service: str) -> dict[str, Any]:
    """Settings overrides with the same effect as `token_env` for one service."""
    overrides: dict[str, Any] = {"token_public_keys": TEST_JWKS}
    if service == "registry":
        overrides["signing_keys"] = TEST_SIGNING_KEY_PEM
        overrides["service_client_secrets"] = TEST_CLIENT_SECRETS
    return overrides


def make_issuer(clock: Clock = SYSTEM_CLOCK) -> TokenIssuer:
    """An issuer signing with the test key on `clock` (the app's clock: a service verifies
    expiry on its own clock)."""
    return TokenIssuer([TEST_SIGNING_KEY], issuer=TEST_TOKEN_ISSUER, clock=clock)


def _clock_of(who: Any, clock: Clock | None) -> Clock:
    """The clock to mint on: given, else the app's (`who` may be a FastAPI app or a
    running service), else the system clock."""
    if clock is not None:
        return clock
    app = getattr(who, "app", who)
    service = getattr(getattr(app, "state", None), "service", None)
    return getattr(service, "clock", None) or SYSTEM_CLOCK


def operator_token(
    who: Any = None,
    *,
    role: Role | str = Role.NATIONAL_ADMIN,
    scope: str = "national",
    subject: str = "test-operator",
    session: str | None = None,
    ttl: timedelta = timedelta(minutes=15),
    clock: Clock | None = None,
) -> str:
    """An operator's access token from the test issuer, good at every service."""
    return make_issuer(_clock_of(who, clock)).mint(
        subject=subject,
        role=role,
        scope=scope,
        audiences=OPERATOR_AUDIENCES,
        ttl=ttl,
        session=session,
    )


def service_token(
    who: Any = None,
    *,
    subject: str = "notifications",
    permissions: Iterable[Permission] = (),
    audience: Audience = Audience.REGISTRY,
    clock: Clock | None = None,
) -> str:
    """A service's access token (role `service`, national) for one audience."""
    return make_issuer(_clock_of(who, clock)).mint(
        subject=subject,
        role=Role.SERVICE,
        scope="national",
        audiences=[audience],
        ttl=timedelta(minutes=5),
        permissions=permissions,
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}"}


def auth_headers(
    who: Any = None,
    *,
    role: Role | str = Role.NATIONAL_ADMIN,
    scope: str = "national",
    subject: str = "test-operator",
    clock: Clock | None = None,
) -> dict[str, str]:
    """Headers with an operator token. `who` is the app (or running service) the token
    is for, so that it is minted on that app's clock; settings or None: the system clock.
    Role `service`: a service token for registry holding every permission."""
    if Role(role) is Role.SERVICE:
        return service_headers(who, subject=subject, permissions=tuple(Permission), clock=clock)
    return bearer(operator_token(who, role=role, scope=scope, subject=subject, clock=clock))


def service_headers(
    who: Any = None,
    *,
    subject: str = "notifications",
    permissions: Iterable[Permission] = (),
    audience: Audience = Audience.REGISTRY,
    clock: Clock | None = None,
) -> dict[str, str]:
    """Headers with a service token."""
    return bearer(
        service_token(who, subject=subject, permissions=permissions, audience=audience, clock=clock)
    )
