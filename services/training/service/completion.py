"""Attendance, pre/post tests, and completing a session (idempotent)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Attendance, Course, Enrolment, TrainingSession
from services.training.domain import completion, schedule
from services.training.domain.certificates import Signer
from services.training.domain.enums import (
    ATTENDED,
    AttendanceStatus,
    CertificateRevokeReason,
    CompletionForceReason,
    EnrolmentStatus,
    ParticipantOutcome,
    ReopenReason,
    SessionStatus,
)
from services.training.domain.errors import (
    DayOutsideSession,
    EnrolmentNotFound,
    NotAParticipant,
    WrongSessionStatus,
)
from services.training.service import certificates
from services.training.service.common import scoped_session, stage
from shared.clock import CALENDAR_ZONE
from shared.events.training import (
    ParticipantEvaluated,
    RegionResult,
    SessionCompleted,
    SessionReopened,
)
from shared.i18n import t
from shared.identity import Principal


async def _participant(
    session: AsyncSession, row: TrainingSession, enrolment_id: uuid.UUID
) -> Enrolment:
    enrolment = await session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.session_id != row.id:
        raise EnrolmentNotFound(
            t(
                "Tidak ada pendaftaran {enrolment} pada sesi {session}",
                "no enrolment {enrolment} in session {session}",
                enrolment=enrolment_id,
                session=row.id,
            )
        )
    if enrolment.status != EnrolmentStatus.CONFIRMED:
        raise NotAParticipant(
            t(
                "Pendaftaran {enrolment} berstatus {status}, bukan peserta",
                "enrolment {enrolment} is {status}, not a participant",
                enrolment=enrolment_id,
                status=enrolment.status,
            )
        )
    return enrolment


def _check_recordable(row: TrainingSession, day: date | None = None) -> None:
    if row.status != SessionStatus.IN_PROGRESS:
        raise WrongSessionStatus(
            t(
                "Kehadiran dan nilai dicatat selama sesi berlangsung; sesi ini {status}",
                "attendance and tests are recorded in progress; session is {status}",
                status=row.status,
            )
        )
    if day is not None:
        check_day(row, day)


def check_day(row: TrainingSession, day: date) -> None:
    """Attendance is recorded (and read) only for a day from the session's first to last."""
    if not row.start_date <= day <= row.end_date:
        raise DayOutsideSession(
            "day",
            t(
                "harus antara {start} dan {end}",
                "must be between {start} and {end}",
                start=row.start_date.isoformat(),
                end=row.end_date.isoformat(),
            ),
        )


async def record_attendance(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    day: date,
    marks: list[tuple[uuid.UUID, AttendanceStatus]],
    now: datetime,
) -> int:
    """Record (or correct) attendance of participants on one day; a day's sheet is a list."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    _check_recordable(row, day)
    for enrolment_id, status in marks:
        await _participant(session, row, enrolment_id)
        mark = await session.get(Attendance, (enrolment_id, day))
        if mark is None:
            mark = Attendance(
                enrolment_id=enrolment_id,
                day=day,
                status=status,
                recorded_by=principal.subject,
                recorded_at=now,
            )
            session.add(mark)
        mark.status, mark.recorded_by, mark.recorded_at = status, principal.subject, now
    return len(marks)


@dataclass(frozen=True)
class DayMark:
    """One participant's recorded presence on a day (status None: not recorded)."""

    enrolment: Enrolment
    status: AttendanceStatus | None
    recorded_at: datetime | None


async def attendance_of_day(
    session: AsyncSession, *, principal: Principal, session_id: uuid.UUID, day: date
) -> tuple[TrainingSession, list[DayMark]]:
    """Each confirmed participant's mark on one day of the session, in enrolment order
    (whatever the session's status: before it starts nobody has one)."""
    row = await scoped_session(session, principal, session_id)
    check_day(row, day)
    participants = (
        await session.execute(
            select(Enrolment)
            .where(col(Enrolment.session_id) == row.id)
            .where(col(Enrolment.status) == EnrolmentStatus.CONFIRMED)
            .order_by(col(Enrolment.created_at), col(Enrolment.id))
        )
    ).scalars()
    marks = {
        m.enrolment_id: m
        for m in (
            await session.execute(
                select(Attendance)
                .join(Enrolment, col(Enrolment.id) == col(Attendance.enrolment_id))
                .where(col(Enrolment.session_id) == row.id)
                .where(col(Attendance.day) == day)
            )
        ).scalars()
    }
    out = []
    for enrolment in participants:
        mark = marks.get(enrolment.id)
        status = AttendanceStatus(mark.status) if mark else None
        out.append(DayMark(enrolment, status, mark.recorded_at if mark else None))
    return row, out


async def record_scores(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    scores: list[tuple[uuid.UUID, float | None, float | None]],
    now: datetime,
) -> int:
    """Record pre- and/or post-test scores (None leaves a score unchanged)."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    _check_recordable(row)
    for enrolment_id, pre, post in scores:
        enrolment = await _participant(session, row, enrolment_id)
        if pre is not None:
            enrolment.pre_score = pre
        if post is not None:
            enrolment.post_score = post
        enrolment.updated_at = now
    return len(scores)


async def attendance_of(session: AsyncSession, session_id: uuid.UUID) -> dict[uuid.UUID, list[str]]:
    """Each participant's attendance marks in a session."""
    rows = await session.execute(
        select(Attendance.enrolment_id, Attendance.status)
        .join(Enrolment, col(Enrolment.id) == col(Attendance.enrolment_id))
        .where(col(Enrolment.session_id) == session_id)
    )
    marks: dict[uuid.UUID, list[str]] = defaultdict(list)
    for enrolment_id, status in rows:
        marks[enrolment_id].append(status)
    return marks


@dataclass(frozen=True)
class Evaluation:
    """How one participant does against the course's rules, as completion would decide."""

    enrolment: Enrolment
    days_attended: int
    days: int
    days_required: int
    attendance_pct: float
    verdict: completion.Verdict


async def _evaluate(
    session: AsyncSession, row: TrainingSession, course: Course
) -> list[Evaluation]:
    participants = (
        await session.execute(
            select(Enrolment)
            .where(col(Enrolment.session_id) == row.id)
            .where(col(Enrolment.status) == EnrolmentStatus.CONFIRMED)
            .order_by(col(Enrolment.created_at), col(Enrolment.id))
        )
    ).scalars()
    marks = await attendance_of(session, row.id)
    days = len(schedule.session_days(row.start_date, row.end_date))
    out = []
    for enrolment in participants:
        statuses = marks.get(enrolment.id, [])
        verdict = completion.evaluate(
            statuses=statuses,
            days=days,
            post_score=enrolment.post_score,
            min_attendance_pct=course.min_attendance_pct,
            pass_mark=course.pass_mark,
        )
        attended = sum(1 for s in statuses if s in ATTENDED)
        pct = round(completion.attendance_pct(statuses, days), 1)
        required = completion.days_required(days, course.min_attendance_pct)
        out.append(Evaluation(enrolment, attended, days, required, pct, verdict))
    return out


async def preview(
    session: AsyncSession, *, principal: Principal, session_id: uuid.UUID
) -> tuple[TrainingSession, list[Evaluation], Course]:
    """Who would pass and why if the session were completed now (changes nothing)."""
    row = await scoped_session(session, principal, session_id)
    if row.status not in (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED):
        raise WrongSessionStatus(
            t(
                "Sesi yang {status} belum punya hasil untuk dipratinjau",
                "a session that is {status} has no results to preview",
                status=row.status,
            )
        )
    course = await session.get(Course, row.course_code)
    assert course is not None  # noqa: S101 - a session's course is never deleted
    return row, await _evaluate(session, row, course), course


async def complete(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    signer: Signer,
    now: datetime,
    today: date | None = None,
    force: bool = False,
    reason_code: CompletionForceReason | None = None,
) -> dict[str, Any]:
    """Evaluate every participant, issue certificates to those who passed, publish the summary
    and each participant's result (`participant-evaluated`, numbered by `row.evaluations`).

    Refused before the session's last day unless forced with a reason code. Idempotent: a
    completed session answers with its stored summary and issues nothing again. After a
    re-opening it evaluates again: a participant who now passes without a valid certificate
    gets one, a valid certificate of someone who no longer passes (or is no longer a
    participant) is revoked with `issued_in_error`; unchanged results keep theirs.
    """
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status == SessionStatus.COMPLETED and row.summary is not None:
        return row.summary
    if row.status != SessionStatus.IN_PROGRESS:
        raise WrongSessionStatus(
            t(
                "Hanya sesi yang sedang berlangsung dapat diselesaikan; sesi ini {status}",
                "only a session in progress can be completed; this one is {status}",
                status=row.status,
            )
        )
    today = today or now.astimezone(CALENDAR_ZONE).date()
    completion.check_completion_time(
        today=today, last_day=row.end_date, force=force, reason_code=reason_code
    )
    course = await session.get(Course, row.course_code)
    assert course is not None  # noqa: S101 - a session's course is never deleted
    evaluations = await _evaluate(session, row, course)
    valid = {c.enrolment_id: c for c in await certificates.valid_of_session(session, row.id)}
    row.evaluations += 1
    participants, results = [], []
    for ev in evaluations:
        enrolment, verdict = ev.enrolment, ev.verdict
        results.append(_result(row, course, ev, previous=enrolment.outcome, now=now))
        enrolment.outcome = (
            ParticipantOutcome.PASSED if verdict.passed else ParticipantOutcome.FAILED
        )
        # Why English: the column predates translated reasons and holds one language; the
        # preview answers `reason` in the caller's, `reasons` are codes for any language.
        enrolment.outcome_reason = verdict.reason.en
        enrolment.updated_at = now
        participants.append(enrolment)
        held = valid.pop(enrolment.id, None)
        if verdict.passed and held is None:
            await certificates.issue(session, row, course, enrolment, signer=signer, now=now)
        elif not verdict.passed and held is not None:
            await certificates.mark_revoked(
                session, held, reason_code=CertificateRevokeReason.ISSUED_IN_ERROR, now=now
            )
    for held in valid.values():  # a place cancelled while the session was re-opened
        await certificates.mark_revoked(
            session, held, reason_code=CertificateRevokeReason.ISSUED_IN_ERROR, now=now
        )
    row.status = SessionStatus.COMPLETED
    row.completion_forced_reason = reason_code if today < row.end_date else None
    row.completed_at = now
    row.first_completed_at = row.first_completed_at or now
    row.updated_at = now
    event = _summary(row, participants)
    row.summary = event.model_dump(mode="json")
    await stage(session, [event, *results], now=now)
    return row.summary


async def reopen(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    reason_code: ReopenReason,
    window_days: int,
    now: datetime,
) -> TrainingSession:
    """Re-open a completed session for correction (back in progress: attendance and scores
    can be corrected, then completing evaluates again), within the window after its first
    completion; `session-reopened` tells its people that results may change."""
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status != SessionStatus.COMPLETED:
        raise WrongSessionStatus(
            t(
                "Hanya sesi yang sudah selesai dapat dibuka kembali; sesi ini {status}",
                "only a completed session can be re-opened; this is {status}",
                status=row.status,
            )
        )
    first = row.first_completed_at or row.completed_at
    assert first is not None  # noqa: S101 - a completed session has a completion time
    completion.check_reopen(now=now, first_completed_at=first, window_days=window_days)
    row.first_completed_at = first
    row.status = SessionStatus.IN_PROGRESS
    row.summary = None
    row.reopened_at, row.reopen_reason_code = now, reason_code
    row.updated_at = now
    reopened = SessionReopened(
        session_id=row.id,
        reason_code=reason_code,
        reopened_at=now,
        window_ends_at=completion.reopen_deadline(first, window_days),
    )
    await stage(session, [reopened], now=now)
    return row


def _result(
    row: TrainingSession,
    course: Course,
    ev: Evaluation,
    *,
    previous: ParticipantOutcome | None,
    now: datetime,
) -> ParticipantEvaluated:
    """One participant's result as published: codes and figures, no names or free text."""
    enrolment = ev.enrolment
    return ParticipantEvaluated(
        enrolment_id=enrolment.id,
        session_id=row.id,
        volunteer_id=enrolment.volunteer_id,
        course_code=row.course_code,
        level=row.level,
        passed=ev.verdict.passed,
        reasons=list(ev.verdict.reasons),
        days_attended=ev.days_attended,
        session_days=ev.days,
        days_required=ev.days_required,
        post_test_score=enrolment.post_score,
        pass_mark=course.pass_mark,
        evaluation=row.evaluations,
        previous_passed=None if previous is None else previous == ParticipantOutcome.PASSED,
        evaluated_at=now,
    )


def _summary(row: TrainingSession, participants: list[Enrolment]) -> SessionCompleted:
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: {"p": 0, "ok": 0})
    for e in participants:
        by_region[e.regency_code]["p"] += 1
        by_region[e.regency_code]["ok"] += e.outcome == ParticipantOutcome.PASSED
    pre, post, gain = completion.mean_scores((e.pre_score, e.post_score) for e in participants)
    passed = sum(1 for e in participants if e.outcome == ParticipantOutcome.PASSED)
    assert row.completed_at is not None  # noqa: S101 - set just before
    return SessionCompleted(
        session_id=row.id,
        course_code=row.course_code,
        level=row.level,
        participants=len(participants),
        passed=passed,
        failed=len(participants) - passed,
        by_region={
            code: RegionResult(participants=c["p"], passed=c["ok"], failed=c["p"] - c["ok"])
            for code, c in sorted(by_region.items())
        },
        mean_pre_score=pre,
        mean_post_score=post,
        mean_improvement=gain,
        completed_at=row.completed_at,
    )
