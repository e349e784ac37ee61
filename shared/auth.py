"""The FastAPI dependencies that read the bearer token: who calls a route, and may they write.

The token rules themselves (roles, scopes, signing) are in `shared.identity`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthenticated
from shared.identity import WRITE_ROLES, Principal, Role, decode_token, mint_token
from shared.problems import raises

# Re-exported: routes import the dependencies and the identity types from one place.
__all__ = [
    "WRITE_ROLES",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "Writer",
    "current_principal",
    "decode_token",
    "mint_token",
    "require_writer",
]

_bearer = HTTPBearer(auto_error=False)


@raises(Unauthenticated)
async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The principal of the request's bearer token."""
    if credentials is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    return decode_token(request.app.state.settings, credentials.credentials)


@raises(Forbidden)
async def require_writer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A principal whose role may change data."""
    if not principal.can_write:
        raise Forbidden(f"role {principal.role} may not change data")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Writer = Annotated[Principal, Depends(require_writer)]
