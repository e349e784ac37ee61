"""Read models built from registry and training events, and the local contact copy."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.contacts import ContactDetails
from services.notifications.db.tables import (
    Contact,
    Enrolment,
    Notification,
    OptOut,
    Recipient,
    ScheduledMessage,
    TrainingSession,
)
from services.notifications.domain import dates
from services.notifications.domain.enums import (
    UNDELIVERED,
    EnrolmentStatus,
    NotificationStatus,
    ScheduledStatus,
    SessionCancelReason,
    SessionStatus,
    TrainingLevel,
    VolunteerStatus,
)
from shared.db import RowsInsert, dialect_insert

LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(TrainingLevel, start=1)}
CONTACT_FIELDS = {"full_name", "name", "phone", "email", "village_code", "contact"}

#: recipients of a batch: the given columns of a known volunteer are overwritten
_UPSERT_RECIPIENTS = RowsInsert(
    Recipient.__table__,  # type: ignore[attr-defined]
    lambda stmt, keys: stmt.on_conflict_do_update(
        index_elements=["volunteer_id"],
        set_={k: getattr(stmt.excluded, k) for k in keys if k != "volunteer_id"},
    ),
)


async def upsert(
    session: AsyncSession, table: Any, keys: list[str], values: dict[str, Any]
) -> None:
    """Insert a row, or update it where its key exists."""
    stmt = dialect_insert(session)(table.__table__).values(**values)
    updates = {k: v for k, v in values.items() if k not in keys}
    await session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


async def upsert_recipient(
    session: AsyncSession,
    *,
    volunteer_id: uuid.UUID,
    village_code: str,
    regency_code: str,
    province_code: str,
    status: str | None,
    now: datetime,
) -> None:
    """Where a volunteer lives (and their status, if the event tells it)."""
    values: dict[str, Any] = {
        "volunteer_id": volunteer_id,
        "village_code": village_code,
        "regency_code": regency_code,
        "province_code": province_code,
        "updated_at": now,
    }
    existing = await session.get(Recipient, volunteer_id)
    values["status"] = status or (existing.status if existing else VolunteerStatus.CANDIDATE)
    await upsert(session, Recipient, ["volunteer_id"], values)


async def upsert_recipients(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many recipients in one INSERT … ON CONFLICT DO UPDATE (the last row per volunteer
    wins; a row without a status keeps the stored one, or becomes a candidate)."""
    by_id = {r["volunteer_id"]: dict(r) for r in rows}
    missing = [i for i, r in by_id.items() if not r.get("status")]
    if missing:
        found = await session.execute(
            select(col(Recipient.volunteer_id), col(Recipient.status)).where(
                col(Recipient.volunteer_id).in_(missing)
            )
        )
        known = dict(found.tuples().all())
        for i in missing:
            by_id[i]["status"] = known.get(i) or VolunteerStatus.CANDIDATE
    await _UPSERT_RECIPIENTS.execute(session, list(by_id.values()))


async def set_status(
    session: AsyncSession,
    *,
    volunteer_id: uuid.UUID,
    status: str,
    province_code: str,
    regency_code: str,
    now: datetime,
) -> None:
    """A volunteer's new status (a recipient row at regency level if none exists yet)."""
    existing = await session.get(Recipient, volunteer_id)
    if existing is None:
        # The registration event may still be on its way: the regency is the finest we know.
        session.add(
            Recipient(
                volunteer_id=volunteer_id,
                village_code=regency_code,
                regency_code=regency_code,
                province_code=province_code,
                status=status,
                updated_at=now,
            )
        )
    else:
        existing.status, existing.updated_at = status, now
        session.add(existing)
    await session.flush()


async def raise_level(session: AsyncSession, *, volunteer_id: uuid.UUID, level: str) -> None:
    """A certificate counts for segments if it is the volunteer's highest level."""
    existing = await session.get(Recipient, volunteer_id)
    if existing is None:
        return
    if LEVEL_RANK.get(level, 0) > LEVEL_RANK.get(existing.training_level or "", 0):
        existing.training_level = level
        session.add(existing)


async def drop_level(session: AsyncSession, *, volunteer_id: uuid.UUID, level: str) -> None:
    """A revoked certificate's level no longer counts for segments."""
    existing = await session.get(Recipient, volunteer_id)
    if existing is not None and existing.training_level == level:
        existing.training_level = None
        session.add(existing)


async def upsert_contacts(
    session: AsyncSession, contacts: list[ContactDetails], fetched_at: datetime
) -> None:
    """Many contact copies in one INSERT … ON CONFLICT DO UPDATE (fresh details win)."""
    rows = [
        {
            "volunteer_id": c.volunteer_id,
            "full_name": c.full_name,
            "phone": c.phone,
            "email": c.email,
            "province_code": c.province_code,
            "fetched_at": fetched_at,
        }
        for c in contacts
    ]
    stmt = dialect_insert(session)(Contact.__table__).values(rows)  # type: ignore[attr-defined]
    updates = {k: getattr(stmt.excluded, k) for k in rows[0] if k != "volunteer_id"}
    await session.execute(stmt.on_conflict_do_update(index_elements=["volunteer_id"], set_=updates))


async def forget_contact(session: AsyncSession, volunteer_id: uuid.UUID) -> None:
    """Drop the cached copy; the next message fetches fresh details from registry."""
    await session.execute(delete(Contact).where(col(Contact.volunteer_id) == volunteer_id))


async def erase_volunteer(session: AsyncSession, volunteer_id: uuid.UUID) -> None:
    """Right to erasure: delete contact data and preferences, blank rendered texts, stop sends."""
    rows = col(Notification.recipient_id) == volunteer_id
    await session.execute(update(Notification).where(rows).values(body="", context="{}"))
    waiting = col(Notification.status).in_(UNDELIVERED)
    await session.execute(
        update(Notification)
        .where(rows, waiting)
        .values(status=NotificationStatus.CANCELLED, last_error="erased")
    )
    # Why the contact copy goes after the ledger rows: a dispatcher caching this person's
    # contact holds their `sending` rows locked; updating the rows first waits for it to
    # commit, so the DELETE then sees (and removes) what it cached (PostgreSQL, READ COMMITTED).
    await forget_contact(session, volunteer_id)
    await session.execute(delete(OptOut).where(col(OptOut.volunteer_id) == volunteer_id))
    await session.execute(delete(Recipient).where(col(Recipient.volunteer_id) == volunteer_id))


async def upsert_session(session: AsyncSession, **values: Any) -> None:
    """A training session as its latest event describes it."""
    await upsert(session, TrainingSession, ["session_id"], values)


async def texts_changed(session: AsyncSession, session_id: uuid.UUID) -> None:
    """The session was (re)scheduled: its copy of the title and venue is stale, and a fetch
    begun before now must not be stored (`texts_version` moves on)."""
    await session.execute(
        update(TrainingSession)
        .where(col(TrainingSession.session_id) == session_id)
        .values(texts_version=col(TrainingSession.texts_version) + 1, texts_fetched_at=None)
    )


async def store_texts(
    session: AsyncSession,
    session_id: uuid.UUID,
    *,
    version: int,
    title: str,
    venue_name: str,
    fetched_at: datetime,
) -> bool:
    """Keep training's answer as the session's copy, unless an event changed the session
    since the fetch began (`version` no longer current); whether it was kept."""
    result = await session.execute(
        update(TrainingSession)
        .where(
            col(TrainingSession.session_id) == session_id,
            col(TrainingSession.texts_version) == version,
        )
        .values(title=title, venue_name=venue_name, texts_fetched_at=fetched_at)
    )
    return bool(getattr(result, "rowcount", 0))


async def set_session_status(
    session: AsyncSession,
    session_id: uuid.UUID,
    status: SessionStatus,
    *,
    cancel_reason_code: SessionCancelReason | None = None,
) -> None:
    """A session was cancelled or completed (a row is made if its schedule was not seen)."""
    existing = await session.get(TrainingSession, session_id)
    if existing is None:
        existing = TrainingSession(session_id=session_id, status=status)
    existing.status = status
    if cancel_reason_code is not None:
        existing.cancel_reason_code = cancel_reason_code
    session.add(existing)
    await session.flush()


async def session_status(session: AsyncSession, session_id: uuid.UUID) -> str | None:
    """The session's status, if the read model knows the session."""
    found = await session.get(TrainingSession, session_id)
    return found.status if found else None


async def upsert_enrolment(session: AsyncSession, **values: Any) -> None:
    """An enrolment as its latest event describes it."""
    await upsert(session, Enrolment, ["enrolment_id"], values)


async def enrolled(
    session: AsyncSession, session_id: uuid.UUID, *, statuses: tuple[EnrolmentStatus, ...]
) -> list[Enrolment]:
    """The session's enrolments in these statuses."""
    stmt = select(Enrolment).where(
        col(Enrolment.session_id) == session_id, col(Enrolment.status).in_(statuses)
    )
    return list((await session.execute(stmt)).scalars())


async def cancel_pending_reminders(session: AsyncSession, session_id: uuid.UUID) -> None:
    """Call off the session's reminders not yet fanned out."""
    await session.execute(
        update(ScheduledMessage)
        .where(
            col(ScheduledMessage.session_id) == session_id,
            col(ScheduledMessage.status) == ScheduledStatus.PENDING,
        )
        .values(status=ScheduledStatus.CANCELLED)
    )


async def session_row(session: AsyncSession, session_id: uuid.UUID) -> TrainingSession | None:
    """The session's read-model row, if its events were seen."""
    return await session.get(TrainingSession, session_id)


def session_context(
    *,
    title: str | None,
    venue_name: str | None,
    start_date: date | None,
    end_date: date | None,
) -> dict[str, Any]:
    """What templates call `sesi`: title, venue and dates written the Indonesian way
    (`Senin, 7 Juni 2022`, never ISO; placeholders for what is unknown)."""
    return {
        "sesi": {
            "judul": title or "Bimtek PSM",
            "tempat": venue_name or "-",
            "mulai": dates.hari_tanggal(start_date) if start_date else "-",
            "selesai": dates.hari_tanggal(end_date) if end_date else "-",
        }
    }
