"""Request dependencies of registry's routes: the service's typed state and who acts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.registry.domain.errors import (
    NationalAdminOnly,
    ServiceTokenRefused,
    ServiceTokenRequired,
)
from services.registry.service.access import Actor
from services.registry.state import RegistryState
from shared.auth import CurrentPrincipal, Role, Writer
from shared.problems import raises


async def service_state(request: Request) -> RegistryState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, RegistryState):
        raise TypeError("the application was not built by registry's create_app")
    return state


State = Annotated[RegistryState, Depends(service_state)]


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


@raises(ServiceTokenRefused)
async def operator_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    """Any operator role; service tokens are for the /internal endpoints only."""
    if principal.role == Role.SERVICE:
        raise ServiceTokenRefused("service tokens may only call /internal endpoints")
    return Actor.of(principal, _address(request))


async def writer_actor(request: Request, principal: Writer) -> Actor:
    """An operator whose role may change data."""
    return Actor.of(principal, _address(request))


@raises(NationalAdminOnly)
async def national_admin(request: Request, principal: CurrentPrincipal) -> Actor:
    """A national admin."""
    if principal.role != Role.NATIONAL_ADMIN:
        raise NationalAdminOnly("only national admins may do this")
    return Actor.of(principal, _address(request))


@raises(ServiceTokenRequired)
async def service_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    """A platform service (role `service`)."""
    if principal.role != Role.SERVICE:
        raise ServiceTokenRequired("only platform services (role 'service') may call this")
    return Actor.of(principal, _address(request))


OperatorActor = Annotated[Actor, Depends(operator_actor)]
WriterActor = Annotated[Actor, Depends(writer_actor)]
AdminActor = Annotated[Actor, Depends(national_admin)]
ServiceActor = Annotated[Actor, Depends(service_actor)]
