"""Enrolment: eligibility, seats under concurrency, the waitlist, bulk enrolment."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

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
from services.training.domain.enums import (
    ACTIVE_ENROLMENT,
    NOT_STARTED,
    CancelReason,
    CertificateStatus,
    EnrolmentDecision,
    EnrolmentStatus,
    SessionStatus,
)
from services.training.domain.errors import (
    EnrolmentNotActive,
    EnrolmentNotFound,
    SessionNotFound,
    UnknownQuota,
    VolunteerNotFound,
    WrongSessionStatus,
)
from services.training.service.common import scoped_session, stage
from shared.events.training import EnrolmentCancelled, EnrolmentConfirmed, EnrolmentWaitlisted
from shared.i18n import Text, t
from shared.identity import Principal

# A session whose enrolments may still be cancelled.
WITHDRAWABLE = (*NOT_STARTED, SessionStatus.IN_PROGRESS)


@dataclass
class Outcome:
    """What enrolling one volunteer gave: a place, a waitlist position, or reasons."""

    volunteer_id: uuid.UUID
    outcome: EnrolmentDecision
    enrolment_id: uuid.UUID | None = None
    position: int | None = None
    reasons: list[eligibility.Reason] = field(default_factory=list)
    #: the quota the place counts against (None: the session has no quotas)
    quota: str | None = None


async def enrol(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    volunteer_id: uuid.UUID,
    quota: str | None = None,
    now: datetime,
    today: date,
) -> Outcome:
    """Enrol one volunteer: confirmed while seats (of its quota) last, else waitlisted for
    them; or rejected. `quota` nominates the volunteer for an organisation quota.

    An unknown volunteer and one outside the operator's reach are the same VolunteerNotFound
    (404), so the answer never tells whether an id exists elsewhere.
    """
    outcomes = await bulk_enrol(
        session,
        principal=principal,
        session_id=session_id,
        volunteer_ids=[volunteer_id],
        quota=quota,
        now=now,
        today=today,
    )
    if outcomes[0].reasons == [eligibility.UNKNOWN]:
        raise VolunteerNotFound(eligibility.UNKNOWN.message)
    return outcomes[0]


async def bulk_enrol(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    volunteer_ids: list[uuid.UUID],
    quota: str | None = None,
    now: datetime,
    today: date,
) -> list[Outcome]:
    """Enrol a list in order; each volunteer gets its own outcome (one rejection blocks none).

    `quota` nominates every volunteer of the list for one organisation quota of the session
    (e.g. `org:ipsm-pusat`); anything else is a 422 naming `quota`.
    """
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status != SessionStatus.OPEN:
        raise WrongSessionStatus(
            t(
                "Pendaftaran hanya untuk sesi yang dibuka (open); sesi ini berstatus {status}",
                "enrolment needs an open session; this one is {status}",
                status=row.status,
            )
        )
    if quota is not None and (quota not in row.quotas or not eligibility.is_org_key(quota)):
        raise UnknownQuota(
            "quota",
            t(
                "harus salah satu kunci kuota organisasi sesi ini",
                "must be one of this session's organisation quota keys",
            ),
        )
    course = await session.get(Course, row.course_code)
    assert course is not None  # noqa: S101 - a session's course is never deleted
    return [
        await _enrol_one(session, principal, row, course, vid, quota, now=now, today=today)
        for vid in volunteer_ids
    ]


async def _enrol_one(
    session: AsyncSession,
    principal: Principal,
    row: TrainingSession,
    course: Course,
    volunteer_id: uuid.UUID,
    nominated: str | None,
    *,
    now: datetime,
    today: date,
) -> Outcome:
    known = await session.get(KnownVolunteer, volunteer_id)
    if known is not None and not eligibility.within_reach(
        operator_sees=principal.sees(known.regency_code),
        organiser_region_code=row.organiser_region_code,
        eligible_regions=row.eligible_regions,
        regency_code=known.regency_code,
    ):
        known = None  # Why: answered exactly like an id training does not know
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
        certified_levels=await certified_levels(session, volunteer_id, today=today),
        already_enrolled=existing is not None and existing.status in ACTIVE_ENROLMENT,
    )
    offer = eligibility.Offer(
        level=course.level,
        allowed_statuses=course.allowed_statuses,
        prerequisite_level=course.prerequisite_level,
        eligible_regions=row.eligible_regions,
        quotas=row.quotas,
        nominated=nominated,
    )
    reasons = eligibility.check(candidate, offer)
    if reasons or known is None:
        return Outcome(volunteer_id, EnrolmentDecision.REJECTED, reasons=reasons)
    quota = eligibility.quota_of(known.regency_code, row.quotas, nominated)
    used = await quota_used(session, row)
    seat_free = row.confirmed_count < row.capacity and eligibility.quota_has_room(
        quota, row.quotas, used
    )
    enrolment = existing or Enrolment(
        session_id=row.id,
        volunteer_id=volunteer_id,
        regency_code=known.regency_code,
        province_code=known.province_code,
        status=EnrolmentStatus.CONFIRMED if seat_free else EnrolmentStatus.WAITLISTED,
        created_at=now,
        updated_at=now,
    )
    enrolment.regency_code, enrolment.province_code = known.regency_code, known.province_code
    enrolment.quota_key = nominated
    enrolment.cancel_reason = None
    session.add(enrolment)
    if seat_free:
        await _confirm(session, row, enrolment, from_waitlist=False, now=now)
        return Outcome(volunteer_id, EnrolmentDecision.CONFIRMED, enrolment.id, quota=quota)
    position = await _waitlist(session, row, enrolment, now=now)
    return Outcome(
        volunteer_id, EnrolmentDecision.WAITLISTED, enrolment.id, position=position, quota=quota
    )


async def certified_levels(
    session: AsyncSession, volunteer_id: uuid.UUID, *, today: date
) -> frozenset[str]:
    """Levels of the volunteer's valid certificates not expired on `today`."""
    rows = await session.execute(
        select(col(Certificate.level), col(Certificate.valid_until))
        .where(col(Certificate.volunteer_id) == volunteer_id)
        .where(col(Certificate.status) == CertificateStatus.VALID)
    )
    return frozenset(level for level, until in rows if until is None or until >= today)


def quota_key_of(row: TrainingSession, enrolment: Enrolment) -> str | None:
    """The quota an enrolment counts against under the session's current quotas."""
    return eligibility.quota_of(enrolment.regency_code, row.quotas, enrolment.quota_key)


async def quota_used(session: AsyncSession, row: TrainingSession) -> Counter[str]:
    """Confirmed seats per quota key (waitlisted places wait for their quota, not in it)."""
    if not row.quotas:
        return Counter()
    rows = await session.execute(
        select(Enrolment.regency_code, Enrolment.quota_key, func.count())
        .where(col(Enrolment.session_id) == row.id)
        .where(col(Enrolment.status) == EnrolmentStatus.CONFIRMED)
        .group_by(col(Enrolment.regency_code), col(Enrolment.quota_key))
    )
    used: Counter[str] = Counter()
    for regency, nominated, count in rows:
        key = eligibility.quota_of(regency, row.quotas, nominated)
        if key:
            used[key] += count
    return used


async def _confirm(
    session: AsyncSession,
    row: TrainingSession,
    enrolment: Enrolment,
    *,
    from_waitlist: bool,
    now: datetime,
) -> None:
    enrolment.status = EnrolmentStatus.CONFIRMED
    enrolment.waitlist_seq = None
    enrolment.updated_at = now
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
                confirmed_at=now,
            )
        ],
        now=now,
    )


async def _waitlist(
    session: AsyncSession, row: TrainingSession, enrolment: Enrolment, *, now: datetime
) -> int:
    last = (
        await session.execute(
            select(func.max(Enrolment.waitlist_seq)).where(col(Enrolment.session_id) == row.id)
        )
    ).scalar()
    enrolment.status = EnrolmentStatus.WAITLISTED
    enrolment.waitlist_seq = (last or 0) + 1
    enrolment.updated_at = now
    await session.flush()
    position = await waitlist_position(session, enrolment, row)
    await stage(
        session,
        [
            EnrolmentWaitlisted(
                enrolment_id=enrolment.id,
                session_id=row.id,
                volunteer_id=enrolment.volunteer_id,
                position=position,
                waitlisted_at=now,
            )
        ],
        now=now,
    )
    return position


async def waitlist_position(
    session: AsyncSession, enrolment: Enrolment, row: TrainingSession
) -> int:
    """The enrolment's place in its queue (1 is next): among those waiting for the same
    quota when the session has quotas, else on the session's whole waitlist."""
    waiting = (
        await session.execute(
            select(Enrolment)
            .where(col(Enrolment.session_id) == enrolment.session_id)
            .where(col(Enrolment.status) == EnrolmentStatus.WAITLISTED)
            .where(col(Enrolment.waitlist_seq) <= enrolment.waitlist_seq)
        )
    ).scalars()
    mine = quota_key_of(row, enrolment)
    return sum(1 for e in waiting if quota_key_of(row, e) == mine)


async def promote_waitlist(
    session: AsyncSession, row: TrainingSession, *, now: datetime
) -> list[Enrolment]:
    """Fill free seats from the waitlist in order: the first waiting whose quota has a free
    seat (so a seat a quota frees goes to that quota's queue)."""
    if row.status not in NOT_STARTED or row.confirmed_count >= row.capacity:
        return []
    waiting = list(
        (
            await session.execute(
                select(Enrolment)
                .where(col(Enrolment.session_id) == row.id)
                .where(col(Enrolment.status) == EnrolmentStatus.WAITLISTED)
                .order_by(col(Enrolment.waitlist_seq))
            )
        ).scalars()
    )
    used = await quota_used(session, row)
    promoted: list[Enrolment] = []
    for nxt in waiting:
        if row.confirmed_count >= row.capacity:
            break
        key = quota_key_of(row, nxt)
        if not eligibility.quota_has_room(key, row.quotas, used):
            continue
        await _confirm(session, row, nxt, from_waitlist=True, now=now)
        if key:
            used[key] += 1
        promoted.append(nxt)
    return promoted


def cancelled_event(enrolment: Enrolment, *, now: datetime) -> EnrolmentCancelled:
    """`enrolment-cancelled` for an enrolment just cancelled."""
    return EnrolmentCancelled(
        enrolment_id=enrolment.id,
        session_id=enrolment.session_id,
        volunteer_id=enrolment.volunteer_id,
        reason_code=enrolment.cancel_reason or CancelReason.WITHDRAWN,
        cancelled_at=now,
    )


async def cancel_enrolment(
    session: AsyncSession,
    *,
    principal: Principal,
    enrolment_id: uuid.UUID,
    reason_code: CancelReason,
    now: datetime,
) -> Enrolment:
    """Cancel a place or waitlist entry; a freed seat goes to the next on the waitlist."""
    enrolment = await session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise EnrolmentNotFound(_no_enrolment(enrolment_id))
    try:
        await scoped_session(session, principal, enrolment.session_id, for_update=True)
    except SessionNotFound:
        raise EnrolmentNotFound(_no_enrolment(enrolment_id)) from None
    return await withdraw(
        session,
        session_id=enrolment.session_id,
        enrolment_id=enrolment_id,
        reason_code=reason_code,
        now=now,
    )


async def withdraw(
    session: AsyncSession,
    *,
    session_id: uuid.UUID,
    enrolment_id: uuid.UUID,
    reason_code: CancelReason,
    now: datetime,
) -> Enrolment:
    """Cancel without a scope check (the caller checked it, or registry asked for it)."""
    row = (
        await session.execute(
            select(TrainingSession).where(col(TrainingSession.id) == session_id).with_for_update()
        )
    ).scalar_one()
    enrolment = await session.get(Enrolment, enrolment_id)
    assert enrolment is not None  # noqa: S101 - the caller found it in this transaction
    if enrolment.status not in ACTIVE_ENROLMENT or row.status not in WITHDRAWABLE:
        raise EnrolmentNotActive(
            t(
                "Pendaftaran berstatus {status} pada sesi berstatus {session_status}",
                "enrolment is {status} in a {session_status} session",
                status=enrolment.status,
                session_status=row.status,
            )
        )
    was_confirmed = enrolment.status == EnrolmentStatus.CONFIRMED
    enrolment.status = EnrolmentStatus.CANCELLED
    enrolment.cancel_reason = reason_code
    enrolment.waitlist_seq = None
    enrolment.updated_at = now
    await stage(session, [cancelled_event(enrolment, now=now)], now=now)
    if was_confirmed:
        row.confirmed_count -= 1
        await promote_waitlist(session, row, now=now)
    return enrolment


async def list_enrolments(
    session: AsyncSession, *, principal: Principal, session_id: uuid.UUID
) -> list[Enrolment]:
    """A session's participants, waitlist and cancellations, in enrolment order."""
    return [e for e, _ in await enrolments_with_quotas(session, principal, session_id)]


async def enrolments_with_quotas(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> list[tuple[Enrolment, str | None]]:
    """A session's enrolments in enrolment order, each with the quota key its seat or
    waitlist place counts against under the session's current quotas (None: no quotas)."""
    row = await scoped_session(session, principal, session_id)
    rows = await session.execute(
        select(Enrolment)
        .where(col(Enrolment.session_id) == session_id)
        .order_by(col(Enrolment.created_at), col(Enrolment.id))
    )
    return [(e, quota_key_of(row, e)) for e in rows.scalars()]


def _no_enrolment(enrolment_id: uuid.UUID) -> Text:
    return t(
        "Pendaftaran {id} tidak ditemukan dalam cakupan Anda",
        "no enrolment {id} in your scope",
        id=enrolment_id,
    )
