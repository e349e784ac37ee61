"""Who acts: roles, region scopes and the signed bearer tokens that carry them.

No web framework here: use-cases import `Role` and `Principal` from this module; the
FastAPI dependencies that read the `Authorization` header live in `shared.auth`.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt

from shared.errors import Unauthenticated
from shared.regions import is_region_code, within
from shared.settings import ServiceSettings


class Role(enum.StrEnum):
    """What a principal may do; the scope says where."""

    NATIONAL_ADMIN = "national_admin"
    PROVINCE_OPERATOR = "province_operator"
    REGENCY_OPERATOR = "regency_operator"
    VIEWER = "viewer"
    SERVICE = "service"  # another service of the platform (e.g. notifications reading contacts)


WRITE_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.PROVINCE_OPERATOR, Role.REGENCY_OPERATOR})


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a subject with a role and a region scope."""

    subject: str
    role: Role
    scope: str  # "national", a province "32" or a regency "32.76"

    def sees(self, region_code: str) -> bool:
        """Whether a region lies within this principal's scope."""
        return within(region_code, self.scope)

    @property
    def can_write(self) -> bool:
        """Whether the role may change data."""
        return self.role in WRITE_ROLES

    @property
    def is_national(self) -> bool:
        """Whether the scope is the whole country."""
        return self.scope == "national"


def mint_token(
    settings: ServiceSettings,
    *,
    subject: str,
    role: Role | str,
    scope: str,
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """A signed token for a subject with a role and a scope."""
    if scope != "national" and not is_region_code(scope):
        raise ValueError(f"scope must be 'national' or a region code, got {scope!r}")
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": str(Role(role)),
        "scope": scope,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def decode_token(settings: ServiceSettings, token: str) -> Principal:
    """The principal of a valid token; `Unauthenticated` for any other."""
    try:
        principal, expires = _verified(
            token, settings.jwt_secret.get_secret_value(), settings.jwt_issuer
        )
        if time.time() >= expires:
            raise jwt.ExpiredSignatureError("Signature has expired")
        return principal
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise Unauthenticated(
            f"the bearer token was rejected: {type(exc).__name__}", title="Invalid token"
        ) from exc


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str, issuer: str) -> tuple[Principal, float]:
    """Signature and claims checked once per token (an operator sends the same token for
    hours); expiry is checked on every use by the caller. Failures are not cached."""
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        issuer=issuer,
        options={"require": ["sub", "exp", "iss"]},
    )
    principal = Principal(subject=claims["sub"], role=Role(claims["role"]), scope=claims["scope"])
    return principal, float(claims["exp"])
