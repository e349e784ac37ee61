"""Sessions (Bimtek batches): scheduling, lifecycle, scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Enrolment, TrainingSession
from services.training.domain import schedule
from services.training.domain.enums import (
    ACTIVE_ENROLMENT,
    NOT_STARTED,
    CancelReason,
    EnrolmentStatus,
    SessionCancelReason,
    SessionStatus,
)
from services.training.domain.errors import (
    RegionOutOfScope,
    SessionRuleBroken,
    WrongSessionStatus,
)
from services.training.domain.policy import organiser_level
from services.training.service import courses, enrolments
from services.training.service.common import scoped_session, stage
from shared.clock import CALENDAR_ZONE
from shared.events.training import SessionCancelled, SessionRescheduled, SessionScheduled
from shared.i18n import Text, t
from shared.identity import Principal
from shared.regions import is_region_code, timezone_of, within


@dataclass(frozen=True)
class SchedulingRules:
    """What scheduling checks dates against: today, the configured bounds, the holidays."""

    today: date
    bounds: schedule.DateBounds
    holidays: schedule.ExtraHolidays

    @classmethod
    def default(cls, now: datetime) -> SchedulingRules:
        """The default bounds and lokal's holidays only, on `now`'s calendar day (WIB)."""
        return cls(now.astimezone(CALENDAR_ZONE).date(), schedule.DEFAULT_BOUNDS, {})


def _check_region(principal: Principal, region_code: str) -> None:
    if region_code != "national" and not is_region_code(region_code):
        raise SessionRuleBroken(
            "organiser_region_code",
            t("harus 'national' atau kode wilayah", "must be 'national' or a region code"),
        )
    if region_code != "national" and region_code.count(".") > 1:
        raise SessionRuleBroken(
            "organiser_region_code",
            t(
                "penyelenggara adalah pusat, provinsi atau kabupaten/kota",
                "organisers are national, provinces or regencies",
            ),
        )
    if not principal.sees(region_code):
        raise RegionOutOfScope(region_code)


def _check_venue(data: dict[str, Any]) -> None:
    region = data["organiser_region_code"]
    if region != "national" and not within(data["venue_village_code"], region):
        raise SessionRuleBroken(
            "venue_village_code",
            t("harus berada di wilayah penyelenggara", "must lie in the organiser's region"),
        )


async def create_session(
    session: AsyncSession,
    *,
    principal: Principal,
    data: dict[str, Any],
    rules: SchedulingRules | None = None,
    now: datetime,
) -> tuple[TrainingSession, list[Text]]:
    """Schedule a draft session; returns it with warnings (e.g. public holidays)."""
    rules = rules or SchedulingRules.default(now)
    _check_region(principal, data["organiser_region_code"])
    schedule.check_dates(
        data["start_date"], data["end_date"], today=rules.today, bounds=rules.bounds
    )
    _check_venue(data)
    course = await courses.get_course(session, data["course_code"])
    if not course.active:
        raise SessionRuleBroken("course_code", t("kursus tidak aktif", "course is not active"))
    level = organiser_level(data["organiser_region_code"])
    if level not in course.organiser_levels:
        allowed = ", ".join(course.organiser_levels)
        raise SessionRuleBroken(
            "organiser_region_code",
            t(
                "{level} diselenggarakan oleh: {allowed}",
                "{level} is organised by: {allowed}",
                level=course.level,
                allowed=allowed,
            ),
        )
    region = data["organiser_region_code"]
    row = TrainingSession(
        **{**data, "title": data.get("title") or course.title},
        level=course.level,
        province_code=region.split(".")[0],
        status=SessionStatus.DRAFT,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row, schedule.holiday_warnings(row.start_date, row.end_date, rules.holidays)


async def update_session(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    changes: dict[str, Any],
    rules: SchedulingRules | None = None,
    now: datetime,
) -> tuple[TrainingSession, list[Text]]:
    """Edit a draft or open session (dates, venue, capacity, quotas, speakers, agenda)."""
    rules = rules or SchedulingRules.default(now)
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status not in NOT_STARTED:
        raise WrongSessionStatus(
            t(
                "Sesi berstatus {status} tidak dapat diubah",
                "a session that is {status} cannot be edited",
                status=row.status,
            )
        )
    merged = {**row.model_dump(), **changes}
    if {"start_date", "end_date"} & changes.keys():
        # Why only then: a session planned long ago keeps its dates while its venue changes.
        schedule.check_dates(
            merged["start_date"], merged["end_date"], today=rules.today, bounds=rules.bounds
        )
    _check_venue(merged)
    before = (row.start_date, row.end_date, row.venue_name, row.venue_village_code)
    if "capacity" in changes and changes["capacity"] < row.confirmed_count:
        raise SessionRuleBroken(
            "capacity",
            t(
                "sudah ada {count} peserta terkonfirmasi",
                "{count} participants are confirmed already",
                count=row.confirmed_count,
            ),
        )
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = now
    if {"capacity", "quotas"} & changes.keys():
        # more seats, or seats of a quota: the queues move
        await enrolments.promote_waitlist(session, row, now=now)
    after = (row.start_date, row.end_date, row.venue_name, row.venue_village_code)
    if row.status == SessionStatus.OPEN and after != before:
        # Why only when open: a draft was never announced, so there is nothing to correct.
        await stage(session, [_rescheduled(row, before[0], before[1])], now=now)
    return row, schedule.holiday_warnings(row.start_date, row.end_date, rules.holidays)


def _rescheduled(row: TrainingSession, old_start: date, old_end: date) -> SessionRescheduled:
    return SessionRescheduled(
        session_id=row.id,
        start_date=row.start_date,
        end_date=row.end_date,
        previous_start_date=old_start,
        previous_end_date=old_end,
        venue_village_code=row.venue_village_code,
        timezone=timezone_of(row.venue_village_code),
    )


async def move(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    target: SessionStatus,
    now: datetime,
) -> TrainingSession:
    """Open a draft for enrolment (publishes `session-scheduled`) or start an open session."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    if not schedule.can_move(row.status, target):
        raise WrongSessionStatus(
            t(
                "Sesi berstatus {status} tidak dapat menjadi {target}",
                "a session that is {status} cannot become {target}",
                status=row.status,
                target=target,
            )
        )
    row.status = target
    row.updated_at = now
    if target == SessionStatus.OPEN:
        await stage(session, [_scheduled(row)], now=now)
    return row


def _scheduled(row: TrainingSession) -> SessionScheduled:
    return SessionScheduled(
        session_id=row.id,
        course_code=row.course_code,
        level=row.level,
        organiser_region_code=row.organiser_region_code,
        venue_village_code=row.venue_village_code,
        start_date=row.start_date,
        end_date=row.end_date,
        capacity=row.capacity,
        timezone=timezone_of(row.venue_village_code),
    )


async def cancel(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    reason_code: SessionCancelReason,
    note: str | None = None,
    now: datetime,
) -> TrainingSession:
    """Cancel with a reason code (published) and an optional note (kept in training only);
    every place and waitlist entry is cancelled with it."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    if not schedule.can_move(row.status, SessionStatus.CANCELLED):
        raise WrongSessionStatus(
            t(
                "Sesi berstatus {status} tidak dapat dibatalkan",
                "a session that is {status} cannot be cancelled",
                status=row.status,
            )
        )
    active = await session.execute(
        select(Enrolment)
        .where(col(Enrolment.session_id) == row.id)
        .where(col(Enrolment.status).in_(ACTIVE_ENROLMENT))
    )
    events: list[Any] = []
    for enrolment in active.scalars():
        enrolment.status = EnrolmentStatus.CANCELLED
        enrolment.cancel_reason = CancelReason.SESSION_CANCELLED
        enrolment.updated_at = now
        events.append(enrolments.cancelled_event(enrolment, now=now))
    row.status = SessionStatus.CANCELLED
    row.cancel_reason_code, row.cancel_note = reason_code, note
    row.confirmed_count = 0
    row.updated_at = now
    events.insert(0, SessionCancelled(session_id=row.id, reason_code=reason_code, cancelled_at=now))
    await stage(session, events, now=now)
    return row


async def list_sessions(
    session: AsyncSession,
    *,
    principal: Principal,
    status: SessionStatus | None = None,
    year: int | None = None,
) -> list[TrainingSession]:
    """Sessions in the principal's scope (filtered in SQL)."""
    query = select(TrainingSession).order_by(col(TrainingSession.start_date))
    if not principal.is_national:
        scope = principal.scope
        query = query.where(
            (col(TrainingSession.organiser_region_code) == scope)
            | col(TrainingSession.organiser_region_code).startswith(scope + ".")
        )
    if status:
        query = query.where(col(TrainingSession.status) == status)
    rows = list((await session.execute(query)).scalars())
    return [r for r in rows if year is None or r.start_date.year == year]
