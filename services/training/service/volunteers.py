"""The read model of volunteers, kept from registry's events only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Enrolment, KnownVolunteer, TrainingSession
from services.training.domain.enums import (
    ACTIVE_ENROLMENT,
    LEAVING_STATUSES,
    NOT_STARTED,
    CancelReason,
)
from services.training.domain.errors import VolunteerNotFound
from services.training.service import enrolments
from shared.db import RowsInsert
from shared.events.registry import (
    VolunteerErased,
    VolunteerRegistered,
    VolunteerStatusChanged,
    VolunteerTransferred,
)
from shared.i18n import t
from shared.identity import Principal
from shared.logging import get_logger

log = get_logger("training.volunteers")

#: new volunteers of a batch; ones already known are left as they are
_NEW_VOLUNTEERS = RowsInsert(
    KnownVolunteer.__table__,  # type: ignore[attr-defined]
    lambda stmt, _: stmt.on_conflict_do_nothing(),
)


async def record_volunteer(
    session: AsyncSession, event: VolunteerRegistered, *, now: datetime
) -> KnownVolunteer:
    """Add (or refresh) a volunteer in the read model from `volunteer-registered`."""
    known = await session.get(KnownVolunteer, event.volunteer_id)
    if known is None:
        known = KnownVolunteer(
            volunteer_id=event.volunteer_id,
            village_code=event.village_code,
            regency_code=event.regency_code,
            province_code=event.province_code,
            status=event.status,
            registered_at=event.registered_at,
            updated_at=now,
        )
        session.add(known)
    return known


async def record_volunteers(
    session: AsyncSession, events: list[VolunteerRegistered], *, now: datetime
) -> None:
    """Add volunteers to the read model in one INSERT; ones already known are left as they
    are (the same effect as `record_volunteer` for each).

    The rows go as parameters of one statement compiled once (`RowsInsert`), not inside a
    statement, which would be compiled anew for every batch."""
    if not events:
        return
    rows = [
        {
            "volunteer_id": e.volunteer_id,
            "village_code": e.village_code,
            "regency_code": e.regency_code,
            "province_code": e.province_code,
            "status": e.status,
            "registered_at": e.registered_at,
            "updated_at": now,
        }
        for e in events
    ]
    await _NEW_VOLUNTEERS.execute(session, rows)


async def change_status(
    session: AsyncSession, event: VolunteerStatusChanged, *, now: datetime
) -> None:
    """Follow `volunteer-status-changed`; an unknown (e.g. erased) volunteer is skipped."""
    known = await session.get(KnownVolunteer, event.volunteer_id)
    if known is None:
        log.info("status change of a volunteer training does not know; skipped")
        return
    known.status = event.new_status
    known.updated_at = now
    if event.new_status in LEAVING_STATUSES:
        await _withdraw_open_places(
            session, event.volunteer_id, CancelReason.VOLUNTEER_INACTIVE, now=now
        )


async def transfer(session: AsyncSession, event: VolunteerTransferred, *, now: datetime) -> None:
    """Follow `volunteer-transferred`: the volunteer's region moves."""
    known = await session.get(KnownVolunteer, event.volunteer_id)
    if known is None:
        log.info("transfer of a volunteer training does not know; skipped")
        return
    known.village_code = event.village_code
    known.regency_code = event.regency_code
    known.province_code = event.province_code
    known.updated_at = now


async def erase(session: AsyncSession, event: VolunteerErased, *, now: datetime) -> None:
    """Forget the volunteer: drop the read-model row and withdraw places in open sessions.

    Certificates and past outcomes stay, keyed by the opaque id only (training never held a
    name, NIK or phone); they no longer link to any region or status of the person.
    """
    await _withdraw_open_places(session, event.volunteer_id, CancelReason.VOLUNTEER_ERASED, now=now)
    known = await session.get(KnownVolunteer, event.volunteer_id)
    if known is not None:
        await session.delete(known)


async def _withdraw_open_places(
    session: AsyncSession, volunteer_id: uuid.UUID, reason_code: CancelReason, *, now: datetime
) -> None:
    """Cancel places and waitlist entries in sessions not yet started (seats are freed)."""
    open_places = (
        await session.execute(
            select(Enrolment)
            .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
            .where(col(Enrolment.volunteer_id) == volunteer_id)
            .where(col(Enrolment.status).in_(ACTIVE_ENROLMENT))
            .where(col(TrainingSession.status).in_(NOT_STARTED))
        )
    ).scalars()
    for enrolment in list(open_places):
        await enrolments.withdraw(
            session,
            session_id=enrolment.session_id,
            enrolment_id=enrolment.id,
            reason_code=reason_code,
            now=now,
        )


async def get_known_volunteer(
    session: AsyncSession, volunteer_id: uuid.UUID, *, principal: Principal
) -> KnownVolunteer:
    """The volunteer as training knows it, if in the principal's scope; else
    VolunteerNotFound (outside the scope too: whether an id exists is not told)."""
    known = await session.get(KnownVolunteer, volunteer_id)
    if known is None or not principal.sees(known.village_code):
        raise VolunteerNotFound(
            t(
                "Relawan {id} tidak dikenal di data pelatihan dalam cakupan Anda",
                "training knows no volunteer {id} in your scope",
                id=volunteer_id,
            )
        )
    return known
