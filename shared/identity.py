"""Who acts: roles, region scopes and the signed bearer tokens that carry them.

No web framework here: use-cases import `Role` and `Principal` from this module; the
FastAPI dependencies that read the `Authorization` header live in `shared.auth`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt

from shared.clock import SYSTEM_CLOCK
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
    now: datetime | None = None,
) -> str:
    """A signed token for a subject with a role and a scope, issued at `now` (the caller's
    clock; the system clock's now when not given) and valid for `ttl`."""
    if scope != "national" and not is_region_code(scope):
        raise ValueError(f"scope must be 'national' or a region code, got {scope!r}")
    now = now if now is not None else SYSTEM_CLOCK.now()
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


def decode_token(
    settings: ServiceSettings, token: str, *, now: datetime | None = None
) -> Principal:
    """The principal of a token valid at `now` (the caller's clock; the system clock's now
    when not given); `Unauthenticated` for any other."""
    moment = (now if now is not None else SYSTEM_CLOCK.now()).timestamp()
    try:
        principal, issued, expires = _verified(
            token, settings.jwt_secret.get_secret_value(), settings.jwt_issuer
        )
        if moment >= expires:
            raise jwt.ExpiredSignatureError("Signature has expired")
        if issued is not None and issued > moment:
            raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
        return principal
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthenticated(
            f"the bearer token was rejected: {type(exc).__name__}", title="Invalid token"
        ) from exc


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str, issuer: str) -> tuple[Principal, float | None, float]:
    """Signature and claims checked once per token (an operator sends the same token for
    hours): the principal, issued-at (if any) and expiry as POSIX timestamps. Failures are
    not cached.

    Why PyJWT's own exp/iat checks are off: they read the wall clock; the caller checks
    both against its clock on every use.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        issuer=issuer,
        options={"require": ["sub", "exp", "iss"], "verify_exp": False, "verify_iat": False},
    )
    principal = Principal(subject=claims["sub"], role=Role(claims["role"]), scope=claims["scope"])
    issued = float(claims["iat"]) if "iat" in claims else None
    return principal, issued, float(claims["exp"])
