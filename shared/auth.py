"""The FastAPI dependencies that read the bearer token: who calls a route, and may they.

Every route names one of them (a route without one is public and must be on the public
allow-list of `tests/security/test_routes_need_a_principal.py`):

- `CurrentPrincipal` — an operator (any role); service tokens are refused (403).
- `Writer` — an operator whose role may change data.
- `Needs(Permission.X)` — a service principal holding permission X; operators are refused.
- `CurrentVolunteer` — a volunteer on their own page (the `/me` routes only); every other
  dependency refuses a volunteer's token (403), so no operator or service route is
  reachable with one.

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
    "CurrentVolunteer",
    "Needs",
    "NeedsAccessLinksSend",
    "NeedsContactsRead",
    "NeedsRevocationsRead",
    "NeedsSessionsRead",
    "Permission",
    "Principal",
    "Role",
    "Writer",
    "any_principal",
    "current_principal",
    "current_volunteer",
    "require_permission",
    "require_writer",
]

_bearer = HTTPBearer(auto_error=False)

SERVICE_REFUSED = t(
    "Token layanan hanya diterima pada rute yang memerlukan izin layanan",
    "service tokens are accepted only on routes that require a permission",
)


VOLUNTEER_REFUSED = t(
    "Token relawan hanya diterima pada halaman relawan sendiri (/me)",
    "volunteer tokens are accepted only on the volunteer's own routes (/me)",
)


@raises(Unauthenticated, Unavailable)
async def verified_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The principal of the request's bearer token, whoever it is (401 without a valid
    token, 503 while revocations cannot be confirmed). Not for routes: they name one of
    the dependencies below, which say whom they accept."""
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
async def any_principal(
    principal: Annotated[Principal, Depends(verified_principal)],
) -> Principal:
    """An operator or a service (401 without a valid token); a volunteer's token is
    refused (403): it opens the volunteer's own routes only."""
    if principal.is_volunteer:
        raise Forbidden(VOLUNTEER_REFUSED)
    return principal


@raises(Forbidden)
async def current_volunteer(
    principal: Annotated[Principal, Depends(verified_principal)],
) -> Principal:
    """A volunteer on their own page: `principal.subject` is their id. Operator and service
    tokens are refused (403): operators read a person through the operator routes."""
    if not principal.is_volunteer:
        raise Forbidden(
            t(
                "Rute ini hanya untuk relawan yang membuka halamannya sendiri",
                "this route is for a volunteer on their own page only",
            )
        )
    return principal


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
CurrentVolunteer = Annotated[Principal, Depends(current_volunteer)]
#: a service holding `access-links:send` (registry asking notifications to send a page link)
NeedsAccessLinksSend = Annotated[
    Principal, Depends(require_permission(Permission.ACCESS_LINKS_SEND))
]
Writer = Annotated[Principal, Depends(require_writer)]
