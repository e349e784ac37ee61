"""Request dependencies of registry's routes: the service's typed state and who acts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.registry.domain.errors import (
    AccountManagersOnly,
    NationalAdminOnly,
    ServiceTokenRefused,
)
from services.registry.service.access import Actor
from services.registry.state import RegistryState
from shared.auth import CurrentPrincipal, NeedsContactsRead, NeedsRevocationsRead, Role, Writer
from shared.i18n import t
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
        raise ServiceTokenRefused(
            t(
                "token layanan hanya boleh memanggil endpoint /internal",
                "service tokens may only call /internal endpoints",
            )
        )
    return Actor.of(principal, _address(request))


async def writer_actor(request: Request, principal: Writer) -> Actor:
    """An operator whose role may change data."""
    return Actor.of(principal, _address(request))


@raises(NationalAdminOnly)
async def national_admin(request: Request, principal: CurrentPrincipal) -> Actor:
    """A national admin."""
    if principal.role != Role.NATIONAL_ADMIN:
        raise NationalAdminOnly(
            t("hanya admin nasional yang boleh melakukan ini", "only national admins may do this")
        )
    return Actor.of(principal, _address(request))


@raises(AccountManagersOnly)
async def account_manager(request: Request, principal: CurrentPrincipal) -> Actor:
    """A national admin, or a province operator (who manages their regencies' accounts)."""
    if principal.role not in (Role.NATIONAL_ADMIN, Role.PROVINCE_OPERATOR):
        raise AccountManagersOnly(
            t(
                "hanya admin nasional dan operator provinsi yang mengelola akun",
                "only national admins and province operators manage accounts",
            )
        )
    return Actor.of(principal, _address(request))


async def contacts_reader(request: Request, principal: NeedsContactsRead) -> Actor:
    """A platform service holding `contacts:read` (notifications)."""
    return Actor.of(principal, _address(request))


async def revocations_reader(request: Request, principal: NeedsRevocationsRead) -> Actor:
    """A platform service holding `revocations:read` (training, notifications)."""
    return Actor.of(principal, _address(request))


OperatorActor = Annotated[Actor, Depends(operator_actor)]
WriterActor = Annotated[Actor, Depends(writer_actor)]
AdminActor = Annotated[Actor, Depends(national_admin)]
ManagerActor = Annotated[Actor, Depends(account_manager)]
ContactsReader = Annotated[Actor, Depends(contacts_reader)]
RevocationsReader = Annotated[Actor, Depends(revocations_reader)]
