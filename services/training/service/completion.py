"""Attendance, pre/post tests, and completing a session (idempotent)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Attendance, Course, Enrolment, TrainingSession
from services.training.domain import completion, schedule
from services.training.domain.certificates import Signer
from services.training.domain.enums import (
    AttendanceStatus,
    EnrolmentStatus,
    ParticipantOutcome,
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
from shared.events.training import RegionResult, SessionCompleted
from shared.identity import Principal


async def _participant(
    session: AsyncSession, row: TrainingSession, enrolment_id: uuid.UUID
) -> Enrolment:
    enrolment = await session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.session_id != row.id:
        raise EnrolmentNotFound(f"no enrolment {enrolment_id} in session {row.id}")
    if enrolment.status != EnrolmentStatus.CONFIRMED:
        raise NotAParticipant(f"enrolment {enrolment_id} is {enrolment.status}, not a participant")
    return enrolment


def _check_recordable(row: TrainingSession, day: date | None = None) -> None:
    if row.status != SessionStatus.IN_PROGRESS:
        raise WrongSessionStatus(
            f"attendance and tests are recorded in progress; session is {row.status}"
        )
    if day is not None and not row.start_date <= day <= row.end_date:
        raise DayOutsideSession("day", f"must be between {row.start_date} and {row.end_date}")


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


async def complete(
    session: AsyncSession,
    *,
    principal: Principal,
    session_id: uuid.UUID,
    signer: Signer,
    now: datetime,
) -> dict[str, Any]:
    """Evaluate every participant, issue certificates to those who passed, publish the summary.

    Idempotent: a completed session answers with its stored summary and issues nothing again.
    """
    row = await scoped_session(session, principal, session_id, for_update=True)
    if row.status == SessionStatus.COMPLETED and row.summary is not None:
        return row.summary
    if row.status != SessionStatus.IN_PROGRESS:
        raise WrongSessionStatus(
            f"only a session in progress can be completed; this one is {row.status}"
        )
    course = await session.get(Course, row.course_code)
    assert course is not None  # noqa: S101 - a session's course is never deleted
    participants = list(
        (
            await session.execute(
                select(Enrolment)
                .where(col(Enrolment.session_id) == row.id)
                .where(col(Enrolment.status) == EnrolmentStatus.CONFIRMED)
            )
        ).scalars()
    )
    marks = await attendance_of(session, row.id)
    days = len(schedule.session_days(row.start_date, row.end_date))
    for enrolment in participants:
        verdict = completion.evaluate(
            statuses=marks.get(enrolment.id, []),
            days=days,
            post_score=enrolment.post_score,
            min_attendance_pct=course.min_attendance_pct,
            pass_mark=course.pass_mark,
        )
        enrolment.outcome = (
            ParticipantOutcome.PASSED if verdict.passed else ParticipantOutcome.FAILED
        )
        enrolment.outcome_reason = verdict.reason
        enrolment.updated_at = now
        if verdict.passed:
            await certificates.issue(session, row, course, enrolment, signer=signer, now=now)
    row.status = SessionStatus.COMPLETED
    row.completed_at = now
    row.updated_at = now
    event = _summary(row, participants)
    row.summary = event.model_dump(mode="json")
    await stage(session, [event], now=now)
    return row.summary


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
