"""Enrolment: eligibility, seats under concurrency, the waitlist, bulk enrolment."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import (
    Certificate,
    Course,
    Enrolment,
    KnownVolunteer,
    TrainingSession,
)
from services.training.domain import eligibility
from services.training.service.common import conflict, now, scoped_session, stage
from shared.auth import Principal
from shared.events.training import EnrolmentCancelled, EnrolmentConfirmed, EnrolmentWaitlisted
from shared.problems import Problem

ACTIVE = ("confirmed", "waitlisted")


@dataclass
class Outcome:
    volunteer_id: uuid.UUID
    outcome: str  # confirmed | waitlisted | rejected
    enrolment_id: uuid.UUID | None = None
    position: int | None = None
    reasons: list[eligibility.Reason] = field(default_factory=list)


async def enrol(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, volunteer_id: uuid.UUID
) -> Outcome:
    """Enrol one volunteer: confirmed while seats last, else waitlisted; or rejected."""
    outcomes = await bulk_enrol(session, principal, session_id, [volunteer_id])
    return outcomes[0]


async def bulk_enrol(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    volunteer_ids: list[uuid.UUID],
) -> list[Outcome]:
    """Enrol a list in order; each volunteer gets its own outcome (one rejection blocks none)."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status != "open":
        raise conflict(f"enrolment needs an open session; this one is {row.status}")
    course = await session.get(Course, row.course_code)
    assert course is not None
    return [await _enrol_one(session, row, course, vid) for vid in volunteer_ids]


async def _enrol_one(
    session: AsyncSession, row: TrainingSession, course: Course, volunteer_id: uuid.UUID
) -> Outcome:
    known = await session.get(KnownVolunteer, volunteer_id)
    existing = (
        await session.execute(
            select(Enrolment)
            .where(col(Enrolment.session_id) == row.id)
            .where(col(Enrolment.volunteer_id) == volunteer_id)
        )
    ).scalar_one_or_none()
    candidate = eligibility.Candidate(
        known=known is not None,
        status=known.status if known else None,
        regency_code=known.regency_code if known else None,
        certified_levels=await certified_levels(session, volunteer_id),
        already_enrolled=existing is not None and existing.status in ACTIVE,
    )
    offer = eligibility.Offer(
        level=course.level,
        allowed_statuses=course.allowed_statuses,
        prerequisite_level=course.prerequisite_level,
        eligible_regions=row.eligible_regions,
        quotas=row.quotas,
        quota_used=await _quota_used(session, row),
    )
    reasons = eligibility.check(candidate, offer)
    if reasons or known is None:
        return Outcome(volunteer_id, "rejected", reasons=reasons)
    enrolment = existing or Enrolment(
        session_id=row.id,
        volunteer_id=volunteer_id,
        regency_code=known.regency_code,
        province_code=known.province_code,
        status="new",
        created_at=now(),
        updated_at=now(),
    )
    enrolment.regency_code, enrolment.province_code = known.regency_code, known.province_code
    enrolment.cancel_reason = None
    session.add(enrolment)
    if row.confirmed_count < row.capacity:
        await _confirm(session, row, enrolment, from_waitlist=False)
        return Outcome(volunteer_id, "confirmed", enrolment.id)
    position = await _waitlist(session, row, enrolment)
    return Outcome(volunteer_id, "waitlisted", enrolment.id, position=position)


async def certified_levels(session: AsyncSession, volunteer_id: uuid.UUID) -> frozenset[str]:
    """Levels of the volunteer's valid, unexpired certificates."""
    today = date.today()
    rows = await session.execute(
        select(col(Certificate.level), col(Certificate.valid_until))
        .where(col(Certificate.volunteer_id) == volunteer_id)
        .where(col(Certificate.status) == "valid")
    )
    return frozenset(level for level, until in rows if until is None or until >= today)


async def _quota_used(session: AsyncSession, row: TrainingSession) -> dict[str, int]:
    if not row.quotas:
        return {}
    rows = await session.execute(
        select(Enrolment.regency_code, func.count())
        .where(col(Enrolment.session_id) == row.id)
        .where(col(Enrolment.status).in_(ACTIVE))
        .group_by(col(Enrolment.regency_code))
    )
    used: Counter[str] = Counter()
    for regency, count in rows:
        key = eligibility.quota_of(regency, row.quotas)
        if key:
            used[key] += count
    return dict(used)


async def _confirm(
    session: AsyncSession, row: TrainingSession, enrolment: Enrolment, *, from_waitlist: bool
) -> None:
    enrolment.status = "confirmed"
    enrolment.waitlist_seq = None
    enrolment.updated_at = now()
    row.confirmed_count += 1
    await session.flush()
    await stage(
        session,
        [
            EnrolmentConfirmed(
                enrolment_id=enrolment.id,
                session_id=row.id,
                volunteer_id=enrolment.volunteer_id,
                from_waitlist=from_waitlist,
                confirmed_at=now(),
            )
        ],
    )


async def _waitlist(session: AsyncSession, row: TrainingSession, enrolment: Enrolment) -> int:
    last = (
        await session.execute(
            select(func.max(Enrolment.waitlist_seq)).where(col(Enrolment.session_id) == row.id)
        )
    ).scalar()
    enrolment.status = "waitlisted"
    enrolment.waitlist_seq = (last or 0) + 1
    enrolment.updated_at = now()
    await session.flush()
    position = await waitlist_position(session, enrolment)
    await stage(
        session,
        [
            EnrolmentWaitlisted(
                enrolment_id=enrolment.id,
                session_id=row.id,
                volunteer_id=enrolment.volunteer_id,
                position=position,
                waitlisted_at=now(),
            )
        ],
    )
    return position


async def waitlist_position(session: AsyncSession, enrolment: Enrolment) -> int:
    ahead = await session.execute(
        select(func.count())
        .select_from(Enrolment)
        .where(col(Enrolment.session_id) == enrolment.session_id)
        .where(col(Enrolment.status) == "waitlisted")
        .where(col(Enrolment.waitlist_seq) <= enrolment.waitlist_seq)
    )
    return int(ahead.scalar_one())


async def promote_waitlist(session: AsyncSession, row: TrainingSession) -> list[Enrolment]:
    """Fill free seats from the waitlist, first come first served."""
    promoted: list[Enrolment] = []
    while row.status in ("draft", "open") and row.confirmed_count < row.capacity:
        nxt = (
            await session.execute(
                select(Enrolment)
                .where(col(Enrolment.session_id) == row.id)
                .where(col(Enrolment.status) == "waitlisted")
                .order_by(col(Enrolment.waitlist_seq))
                .limit(1)
            )
        ).scalar_one_or_none()
        if nxt is None:
            break
        await _confirm(session, row, nxt, from_waitlist=True)
        promoted.append(nxt)
    return promoted


def cancelled_event(enrolment: Enrolment) -> EnrolmentCancelled:
    return EnrolmentCancelled(
        enrolment_id=enrolment.id,
        session_id=enrolment.session_id,
        volunteer_id=enrolment.volunteer_id,
        reason_code=enrolment.cancel_reason or "withdrawn",
        cancelled_at=now(),
    )


async def cancel_enrolment(
    session: AsyncSession, principal: Principal, enrolment_id: uuid.UUID, reason_code: str
) -> Enrolment:
    """Cancel a place or waitlist entry; a freed seat goes to the next on the waitlist."""
    enrolment = await session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise Problem(404, "Not found", f"no enrolment {enrolment_id} in your scope")
    await scoped_session(session, principal, enrolment.session_id, for_update=True)
    return await withdraw(session, enrolment.session_id, enrolment_id, reason_code)


async def withdraw(
    session: AsyncSession, session_id: uuid.UUID, enrolment_id: uuid.UUID, reason_code: str
) -> Enrolment:
    """Cancel without a scope check (the caller checked it, or registry asked for it)."""
    row = (
        await session.execute(
            select(TrainingSession).where(col(TrainingSession.id) == session_id).with_for_update()
        )
    ).scalar_one()
    enrolment = await session.get(Enrolment, enrolment_id)
    assert enrolment is not None
    if enrolment.status not in ACTIVE or row.status not in ("draft", "open", "in_progress"):
        raise conflict(f"enrolment is {enrolment.status} in a {row.status} session")
    was_confirmed = enrolment.status == "confirmed"
    enrolment.status = "cancelled"
    enrolment.cancel_reason = reason_code
    enrolment.waitlist_seq = None
    enrolment.updated_at = now()
    await stage(session, [cancelled_event(enrolment)])
    if was_confirmed:
        row.confirmed_count -= 1
        await promote_waitlist(session, row)
    return enrolment


async def list_enrolments(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> list[Enrolment]:
    await scoped_session(session, principal, session_id)
    rows = await session.execute(
        select(Enrolment)
        .where(col(Enrolment.session_id) == session_id)
        .order_by(col(Enrolment.created_at), col(Enrolment.id))
    )
    return list(rows.scalars())
