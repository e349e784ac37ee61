"""Request dependencies of registry's routes: who acts, the NIK vault, domain-error mapping."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.config import Settings
from services.registry.db.tables import Volunteer
from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.lifecycle import IllegalTransition
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, scoped_volunteer
from services.registry.service.volunteers import DuplicateNik, Erased, OutOfScope
from shared.auth import CurrentPrincipal, Role, Writer
from shared.problems import Problem


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def operator_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    """Any operator role; service tokens are for the /internal endpoints only."""
    if principal.role == Role.SERVICE:
        raise Problem(403, "Forbidden", "service tokens may only call /internal endpoints")
    return Actor.of(principal, _address(request))


async def writer_actor(request: Request, principal: Writer) -> Actor:
    return Actor.of(principal, _address(request))


async def national_admin(request: Request, principal: CurrentPrincipal) -> Actor:
    if principal.role != Role.NATIONAL_ADMIN:
        raise Problem(403, "Forbidden", "only national admins may do this")
    return Actor.of(principal, _address(request))


async def service_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    if principal.role != Role.SERVICE:
        raise Problem(403, "Forbidden", "only platform services (role 'service') may call this")
    return Actor.of(principal, _address(request))


OperatorActor = Annotated[Actor, Depends(operator_actor)]
WriterActor = Annotated[Actor, Depends(writer_actor)]
AdminActor = Annotated[Actor, Depends(national_admin)]
ServiceActor = Annotated[Actor, Depends(service_actor)]

FULL_NIK_ROLES = frozenset({"national_admin", "province_operator", "regency_operator"})


async def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


async def vault_of(request: Request) -> NikVault:
    vault = request.app.state.service.vault
    assert isinstance(vault, NikVault)
    return vault


RegistrySettings = Annotated[Settings, Depends(settings_of)]
Vault = Annotated[NikVault, Depends(vault_of)]


async def load_volunteer(session: AsyncSession, volunteer_id: uuid.UUID, actor: Actor) -> Volunteer:
    """The volunteer in the actor's scope; another region's id is indistinguishable from none."""
    v = await scoped_volunteer(session, volunteer_id, actor)
    if v is None:
        raise Problem(404, "Not found", f"no volunteer {volunteer_id}")
    return v


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Map domain exceptions to problem responses (field-named, never echoing values)."""
    try:
        yield
    except InvalidVolunteer as exc:
        raise Problem(
            422,
            "Invalid volunteer",
            str(exc),
            errors=[{"field": exc.field, "message": exc.message}],
        ) from exc
    except DuplicateNik as exc:
        raise Problem(
            409,
            "Already registered",
            f"a volunteer with this NIK is already registered: {exc.existing_id}",
            existing_id=str(exc.existing_id),
        ) from exc
    except OutOfScope as exc:
        raise Problem(403, "Outside your region", str(exc)) from exc
    except Erased as exc:
        raise Problem(410, "Erased", "this volunteer's data was erased on their request") from exc
    except IllegalTransition as exc:
        raise Problem(409, "Not allowed now", str(exc)) from exc
