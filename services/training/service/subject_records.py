"""Everything training holds about one person (data-subject access, UU 27/2022 on personal
data): the read-model row, every enrolment with its session, attendance per day, test
scores and outcome, and every certificate.

Scoped like training's other volunteer routes: the person as training knows them must lie
in the operator's region, otherwise the answer is the 404 of an unknown id. training keeps
no audit table; the read is logged with ids only (registry audits the export itself).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import (
    Attendance,
    Certificate,
    Enrolment,
    KnownVolunteer,
    TrainingSession,
)
from services.training.service.volunteers import get_known_volunteer
from shared.identity import Principal
from shared.logging import get_logger

log = get_logger("training.subject_records")


@dataclass(frozen=True)
class EnrolmentRecord:
    """One enrolment, the session it is in, and its attendance days (oldest first)."""

    enrolment: Enrolment
    session: TrainingSession
    attendance: list[Attendance]


@dataclass(frozen=True)
class SubjectRecords:
    """What training holds about one volunteer."""

    volunteer: KnownVolunteer
    enrolments: list[EnrolmentRecord]
    certificates: list[Certificate]


async def records_of(
    session: AsyncSession, volunteer_id: uuid.UUID, *, principal: Principal
) -> SubjectRecords:
    """The person's records, if training knows them in the principal's scope (else
    VolunteerNotFound, the same answer as for an unknown id)."""
    known = await get_known_volunteer(session, volunteer_id, principal=principal)
    rows = (
        await session.execute(
            select(Enrolment, TrainingSession)
            .join(TrainingSession, col(TrainingSession.id) == col(Enrolment.session_id))
            .where(col(Enrolment.volunteer_id) == volunteer_id)
            .order_by(col(TrainingSession.start_date), col(Enrolment.created_at))
        )
    ).all()
    days: dict[uuid.UUID, list[Attendance]] = defaultdict(list)
    if rows:
        marks = await session.execute(
            select(Attendance)
            .where(col(Attendance.enrolment_id).in_([e.id for e, _ in rows]))
            .order_by(col(Attendance.day))
        )
        for mark in marks.scalars():
            days[mark.enrolment_id].append(mark)
    certificates = await session.execute(
        select(Certificate)
        .where(col(Certificate.volunteer_id) == volunteer_id)
        .order_by(col(Certificate.issued_at))
    )
    log.info(
        "data-subject records read",
        volunteer_id=str(volunteer_id),
        enrolments=len(rows),
    )
    return SubjectRecords(
        volunteer=known,
        enrolments=[EnrolmentRecord(e, s, days[e.id]) for e, s in rows],
        certificates=list(certificates.scalars()),
    )
