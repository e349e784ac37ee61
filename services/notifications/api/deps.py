"""Request dependencies of notifications' routes: the service's typed state, national scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.domain.errors import NationalScopeOnly
from services.notifications.state import NotificationsState
from shared.auth import CurrentPrincipal, Principal
from shared.problems import raises


async def service_state(request: Request) -> NotificationsState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, NotificationsState):
        raise TypeError("the application was not built by notifications' create_app")
    return state


State = Annotated[NotificationsState, Depends(service_state)]


@raises(NationalScopeOnly)
async def national_scope(principal: CurrentPrincipal) -> Principal:
    """The caller, if of national scope."""
    if not principal.is_national:
        raise NationalScopeOnly("only national scope may read the development outbox")
    return principal


NationalScope = Annotated[Principal, Depends(national_scope)]
