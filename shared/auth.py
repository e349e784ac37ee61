"""The FastAPI dependencies that read the bearer token: who calls a route, and may they.

Every route names one of them (a route without one is public and must be on the public
allow-list of `tests/security/test_routes_need_a_principal.py`):

- `CurrentPrincipal` — an operator (any role); service tokens are refused (403).
- `Writer` — an operator whose role may change data.
- `Needs(Permission.X)` — a service principal holding permission X; operators are refused.

Tokens are checked by the service's `TokenVerifier` (`app.state.service.verifier`); the
token rules themselves (roles, scopes, signing, revocations) are in `shared.identity`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthenticated, Unavailable
from shared.i18n import t
from shared.identity import WRITE_ROLES, Permission, Principal, Role, UnknownKey
from shared.problems import raises

if TYPE_CHECKING:
    from shared.runtime import ServiceState

# Re-exported: routes import the dependencies and the identity types from one place.
__all__ = [
    "WRITE_ROLES",
    "AnyPrincipal",
    "CurrentPrincipal",
    "Needs",
    "NeedsContactsRead",
    "NeedsRevocationsRead",
    "NeedsSessionsRead",
    "Permission",
    "Principal",
    "Role",
    "Writer",
    "any_principal",
    "current_principal",
    "require_permission",
    "require_writer",
]

_bearer = HTTPBearer(auto_error=False)

SERVICE_REFUSED = t(
    "Token layanan hanya diterima pada rute yang memerlukan izin layanan",
    "service tokens are accepted only on routes that require a permission",
)


@raises(Unauthenticated, Unavailable)
async def any_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The principal of the request's bearer token, operator or service (401 without a
    valid token, 503 while revocations cannot be confirmed)."""
    if credentials is None:
        raise Unauthenticated(
            t(
                "Kirim token masuk Anda: 'Authorization: Bearer <token>'",
                "send 'Authorization: Bearer <token>'",
            )
        )
    state: ServiceState = request.app.state.service
    token = credentials.credentials
    try:
        return state.verifier.verify(token)
    except UnknownKey:
        # The issuer may have rotated its key since the JWKS was read: read it again
        # (rate-limited) and retry once.
        if state.jwks is None or not await state.jwks.refresh_for_unknown_key():
            raise
        return state.verifier.verify(token)


@raises(Forbidden)
async def current_principal(
    principal: Annotated[Principal, Depends(any_principal)],
) -> Principal:
    """An operator (any role): the caller of operator routes. Service tokens are refused."""
    if principal.is_service:
        raise Forbidden(SERVICE_REFUSED)
    return principal


@raises(Forbidden)
async def require_writer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """An operator whose role may change data."""
    if not principal.can_write:
        raise Forbidden(
            t(
                "Peran {role} tidak boleh mengubah data",
                "role {role} may not change data",
                role=principal.role,
            )
        )
    return principal


def require_permission(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency accepting only a service principal that holds `permission`."""

    @raises(Forbidden)
    async def permitted(principal: Annotated[Principal, Depends(any_principal)]) -> Principal:
        if not principal.may(permission):
            raise Forbidden(
                t(
                    "Rute ini memerlukan token layanan dengan izin {permission}",
                    "this route needs a service token with permission {permission}",
                    permission=permission,
                )
            )
        return principal

    permitted.__permission__ = permission  # type: ignore[attr-defined]
    permitted.__name__ = f"require_{permission.name.lower()}"
    permitted.__doc__ = f"A service principal holding {permission}."
    return permitted


def Needs(permission: Permission) -> Any:
    """`Annotated[Principal, Depends(require_permission(permission))]`, for code built at
    run time; in signatures use the typed aliases below (mypy reads them as `Principal`)."""
    return Annotated[Principal, Depends(require_permission(permission))]


#: a service holding `contacts:read` (notifications reading registry's contacts)
NeedsContactsRead = Annotated[Principal, Depends(require_permission(Permission.CONTACTS_READ))]
#: a service holding `revocations:read` (training and notifications following revocations)
NeedsRevocationsRead = Annotated[
    Principal, Depends(require_permission(Permission.REVOCATIONS_READ))
]
#: a service holding `sessions:read` (notifications reading training's session texts)
NeedsSessionsRead = Annotated[Principal, Depends(require_permission(Permission.SESSIONS_READ))]
AnyPrincipal = Annotated[Principal, Depends(any_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Writer = Annotated[Principal, Depends(require_writer)]
