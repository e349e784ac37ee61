"""Request dependencies of notifications' routes: the service's typed state, the
development outbox's guard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.domain.errors import DevelopmentOnly, NationalAdminOnly
from services.notifications.state import NotificationsState
from shared.auth import CurrentPrincipal, Principal, Role
from shared.i18n import t
from shared.problems import raises


async def service_state(request: Request) -> NotificationsState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, NotificationsState):
        raise TypeError("the application was not built by notifications' create_app")
    return state


State = Annotated[NotificationsState, Depends(service_state)]


@raises(NationalAdminOnly, DevelopmentOnly)
async def development_admin(principal: CurrentPrincipal, state: State) -> Principal:
    """A national admin, in development only: the development outbox shows message bodies
    (names), and outside development there is none."""
    if principal.role is not Role.NATIONAL_ADMIN:
        raise NationalAdminOnly(
            t(
                "Hanya admin nasional yang boleh membaca kotak keluar pengembangan",
                "only a national admin may read the development outbox",
            )
        )
    if state.settings.environment != "development":
        raise DevelopmentOnly(
            t(
                "Kotak keluar pengembangan hanya ada di lingkungan pengembangan",
                "the development outbox exists only in development",
            )
        )
    return principal


DevelopmentAdmin = Annotated[Principal, Depends(development_admin)]
