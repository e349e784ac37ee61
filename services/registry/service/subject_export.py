"""A data-subject export (UU 27/2022 on personal data: the person's right to everything held
about them) that covers the whole platform: registry's own record, and what training and
notifications hold, read from their `GET /volunteers/{id}/records` with the operator's own
bearer token (operator tokens carry all three audiences; each service enforces the
operator's region itself).

All or nothing: if either service cannot be reached, or answers anything but the records,
the export is refused (`PeerUnavailable`, 503 naming the service) — never a partial
document — and nothing is audited, since nothing was disclosed. The audit entry of a
completed export names its format.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.registry.config import Settings
from services.registry.db.tables import (
    HeldCertificate,
    PendingTransfer,
    StatusChange,
    Transfer,
    Volunteer,
)
from services.registry.domain.enums import AuditAction
from services.registry.domain.errors import Erased
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit
from services.registry.service.volunteers import nik_of
from shared.errors import Unavailable
from shared.i18n import Text, t
from shared.logging import get_logger

log = get_logger("registry.subject_export")

#: how long registry waits for each of the other services
PEER_TIMEOUT_S = 10.0
#: what a refused export suggests before asking again
RETRY_AFTER_S = 30
#: the person's personal data, as the platform's three services name themselves
PEERS = ("training", "notifications")
#: registry's columns that are not the person's data but ways of finding or protecting it
INTERNAL_COLUMNS = {"nik_hash", "nik_encrypted", "name_search"}


class PeerUnavailable(Unavailable):
    """training or notifications could not give its part of an export (503, naming it)."""

    title = Text("Layanan lain tidak dapat dihubungi", "Another service could not be reached")

    def __init__(self, service: str, *, unknown: bool = False) -> None:
        if unknown:
            detail = t(
                "Layanan {service} belum mengenal relawan ini (datanya belum tersinkron); "
                "ekspor tidak dibuat. Coba lagi nanti.",
                "The {service} service does not know this volunteer yet (its copy is not in "
                "sync); the export was not made. Try again later.",
                service=service,
            )
        else:
            detail = t(
                "Layanan {service} tidak dapat dihubungi; ekspor tidak dibuat (tidak pernah "
                "sebagian). Coba lagi nanti.",
                "The {service} service could not be reached; the export was not made (never "
                "a partial one). Try again later.",
                service=service,
            )
        super().__init__(detail, service=service, retry_after_s=RETRY_AFTER_S)
        self.service = service


@dataclass(frozen=True)
class Peer:
    """One of the other services and where it answers."""

    name: str
    base_url: str

    def records_url(self, volunteer_id: uuid.UUID) -> str:
        """Its `GET /volunteers/{id}/records`."""
        return f"{self.base_url.rstrip('/')}/volunteers/{volunteer_id}/records"


def peers_of(settings: Settings) -> list[Peer]:
    """training and notifications, at the configured URLs."""
    return [
        Peer("training", settings.training_url),
        Peer("notifications", settings.notifications_url),
    ]


async def gather_peers(
    peers: list[Peer],
    volunteer_id: uuid.UUID,
    *,
    authorization: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, dict[str, Any]]:
    """Each peer's records of the person, asked at once with the operator's own
    `Authorization`; PeerUnavailable (naming the first failing peer) unless all answered."""
    async with httpx.AsyncClient(timeout=PEER_TIMEOUT_S, transport=transport) as client:
        answers = await asyncio.gather(
            *(_records(client, p, volunteer_id, authorization) for p in peers),
            return_exceptions=True,
        )
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return {p.name: a for p, a in zip(peers, answers, strict=True) if isinstance(a, dict)}


async def _records(
    client: httpx.AsyncClient, peer: Peer, volunteer_id: uuid.UUID, authorization: str
) -> dict[str, Any]:
    try:
        answer = await client.get(
            peer.records_url(volunteer_id), headers={"Authorization": authorization}
        )
    except httpx.HTTPError as exc:
        log.warning("export: peer unreachable", service=peer.name, error=type(exc).__name__)
        raise PeerUnavailable(peer.name) from exc
    if answer.status_code == 404:
        # registry found the person in the operator's region: the peer's copy lags behind
        # (the registration or a transfer not consumed yet)
        log.warning("export: peer does not know the person", service=peer.name)
        raise PeerUnavailable(peer.name, unknown=True)
    if answer.status_code != 200:
        log.warning("export: peer refused", service=peer.name, status=answer.status_code)
        raise PeerUnavailable(peer.name)
    try:
        records = answer.json()
    except ValueError as exc:
        log.warning("export: peer answered no JSON", service=peer.name)
        raise PeerUnavailable(peer.name) from exc
    if not isinstance(records, dict):
        raise PeerUnavailable(peer.name)
    return records


async def registry_section(
    session: AsyncSession,
    v: Volunteer,
    *,
    actor: Actor,
    vault: NikVault,
    now: datetime,
    file_format: str,
) -> dict[str, Any]:
    """Everything registry holds about the person (profile with full NIK, status history,
    transfers, certificates it learnt of), audited as one export in `file_format`."""
    if v.erased_at is not None:
        raise Erased()

    async def rows(model: Any, order: Any) -> list[dict[str, Any]]:
        found = await session.execute(
            select(model).where(model.volunteer_id == v.id).order_by(order)
        )
        return [r.model_dump() for r in found.scalars()]

    audit(
        session,
        actor,
        AuditAction.VOLUNTEER_EXPORT,
        now=now,
        volunteer_id=v.id,
        detail=f"format={file_format}",
    )
    record = v.model_dump(exclude=INTERNAL_COLUMNS)
    record["nik"] = nik_of(v, vault, full=True)
    return {
        "volunteer": record,
        "status_history": await rows(StatusChange, col(StatusChange.changed_at)),
        "transfers": await rows(Transfer, col(Transfer.transferred_at)),
        "pending_transfers": await rows(PendingTransfer, col(PendingTransfer.opened_at)),
        "certificates": await rows(HeldCertificate, col(HeldCertificate.issued_at)),
    }


__all__ = ["PeerUnavailable", "gather_peers", "peers_of", "registry_section"]
