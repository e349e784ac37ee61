"""Transfers between regencies: open (release or request), confirm, decline, cancel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import PendingTransfer, Volunteer
from services.registry.domain.enums import AuditAction, TransferSide, TransferState
from services.registry.domain.errors import (
    Erased,
    IllegalTransition,
    TransferNotFound,
    VolunteerNotFound,
)
from services.registry.domain.regions import village_exists
from services.registry.domain.transfers import OPEN, next_state, opened_by, opening_state
from services.registry.domain.volunteers import domicile_of
from services.registry.nik_vault import NikVault
from services.registry.service import lifecycle
from services.registry.service.access import Actor, audit, scoped_volunteer
from services.registry.service.volunteers import find_by_nik_hash
from shared.i18n import t

ACTION_AUDIT = {
    "confirm": AuditAction.TRANSFER_CONFIRM,
    "decline": AuditAction.TRANSFER_DECLINE,
    "cancel": AuditAction.TRANSFER_CANCEL,
}


async def _volunteer(
    session: AsyncSession,
    actor: Actor,
    *,
    volunteer_id: uuid.UUID | None,
    nik: str | None,
    vault: NikVault,
) -> Volunteer:
    """The origin names a volunteer of its region by id; the destination by the NIK the
    person shows (looked up nationally through the keyed hash)."""
    if volunteer_id is not None:
        v = await scoped_volunteer(session, volunteer_id, actor)
        if v is None:
            raise VolunteerNotFound(volunteer_id)
    else:
        found = await find_by_nik_hash(session, vault.lookup_hashes((nik or "").strip()))
        v = await session.get(Volunteer, found) if found is not None else None
        if v is None:
            raise VolunteerNotFound(uuid.UUID(int=0))
    if v.erased_at is not None:
        raise Erased()
    return v


async def open_transfer(
    session: AsyncSession,
    actor: Actor,
    *,
    village_code: str,
    vault: NikVault,
    now: datetime,
    volunteer_id: uuid.UUID | None = None,
    nik: str | None = None,
) -> PendingTransfer:
    """Release (origin) or request (destination) a volunteer's move to `village_code` in
    another regency; one open transfer per volunteer."""
    to = domicile_of(village_code, exists=village_exists(village_code))
    v = await _volunteer(session, actor, volunteer_id=volunteer_id, nik=nik, vault=vault)
    state = opening_state(actor.sees(v.village_code), actor.sees(village_code))
    if to.regency_code == v.regency_code:
        raise IllegalTransition(
            t(
                "desa/kelurahan itu ada di kabupaten/kota relawan sendiri: pindahkan secara "
                "langsung",
                "the village is in the volunteer's own regency",
            )
        )
    already = await session.scalar(
        select(col(PendingTransfer.id))
        .where(col(PendingTransfer.volunteer_id) == v.id)
        .where(col(PendingTransfer.state).in_(OPEN))
    )
    if already is not None:
        raise IllegalTransition(
            t(
                "perpindahan {id} untuk relawan ini masih terbuka",
                "transfer {id} of this volunteer is still open",
                id=already,
            )
        )
    pending = PendingTransfer(
        volunteer_id=v.id,
        from_village_code=v.village_code,
        from_regency_code=v.regency_code,
        to_village_code=village_code,
        to_regency_code=to.regency_code,
        state=state,
        opened_by_side=opened_by(state),
        opened_by=actor.subject,
        opened_at=now,
    )
    session.add(pending)
    action = (
        AuditAction.TRANSFER_RELEASE
        if state == TransferState.RELEASED
        else AuditAction.TRANSFER_REQUEST
    )
    audit(session, actor, action, now=now, volunteer_id=v.id, detail=f"transfer {pending.id}")
    await session.flush()
    return pending


def _sides(actor: Actor, p: PendingTransfer) -> set[TransferSide]:
    sides = set()
    if actor.sees(p.from_village_code):
        sides.add(TransferSide.ORIGIN)
    if actor.sees(p.to_village_code):
        sides.add(TransferSide.DESTINATION)
    return sides


async def decide(
    session: AsyncSession,
    actor: Actor,
    transfer_id: uuid.UUID,
    action: str,
    *,
    now: datetime,
) -> PendingTransfer:
    """Confirm or decline (the other end), or cancel (the opening end); a confirmation
    moves the volunteer (history, `volunteer-transferred`)."""
    p = await session.get(PendingTransfer, transfer_id, with_for_update=True)
    if p is None or not _sides(actor, p):
        raise TransferNotFound(transfer_id)
    new_state = next_state(
        TransferState(p.state), action, sides=_sides(actor, p), opener=p.opened_by_side
    )
    if new_state == TransferState.CONFIRMED:
        v = await session.get(Volunteer, p.volunteer_id)
        if v is None or v.erased_at is not None:
            raise Erased()
        if v.village_code != p.from_village_code:
            raise IllegalTransition(
                t(
                    "relawan sudah pindah sejak perpindahan ini diajukan",
                    "the volunteer moved since the transfer was opened",
                )
            )
        await lifecycle.move(
            session, v, p.to_village_code, actor=actor, now=now, reason=f"transfer {p.id}"
        )
    p.state, p.decided_by, p.decided_at = new_state, actor.subject, now
    audit(
        session,
        actor,
        ACTION_AUDIT[action],
        now=now,
        volunteer_id=p.volunteer_id,
        detail=f"transfer {p.id}",
    )
    return p


async def list_transfers(
    session: AsyncSession, actor: Actor, *, state: TransferState | None, limit: int, offset: int
) -> list[PendingTransfer]:
    """Transfers with either end in the actor's region, newest first."""
    query = select(PendingTransfer)
    if actor.scope != "national":
        ends = (col(PendingTransfer.from_village_code), col(PendingTransfer.to_village_code))
        query = query.where(or_(*(end.startswith(actor.scope + ".") for end in ends)))
    if state is not None:
        query = query.where(col(PendingTransfer.state) == state)
    query = query.order_by(col(PendingTransfer.opened_at).desc(), col(PendingTransfer.id))
    return list((await session.scalars(query.limit(limit).offset(offset))).all())
