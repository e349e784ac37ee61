"""A participant who did not pass is told why and what next; a re-opened session is told to
its participants and waitlist (issue 13, items 8 and 7)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.notifications.db.tables import Notification
from services.notifications.domain import results
from services.notifications.domain import templates as t
from services.notifications.domain.enums import EnrolmentStatus
from services.notifications.service import ledger, readmodel
from shared.events import training as tr

RESULT = uuid.UUID("5f0c2a7e-8d41-4b6a-9c3e-1a7d5e2b9f64")


def result_trigger(enrolment_id: uuid.UUID, evaluation: int) -> uuid.UUID:
    """One trigger per enrolment and evaluation: the same result published twice (a
    redelivery, or training's outbox relaying a row again) is one message."""
    return uuid.uuid5(RESULT, f"{enrolment_id}:{evaluation}")


async def _last_told(
    session: AsyncSession, volunteer_id: uuid.UUID, session_id: uuid.UUID
) -> dict[str, Any] | None:
    """The context of the latest not-passed message of this person for this session."""
    rows = await session.execute(
        select(Notification.context).where(
            col(Notification.recipient_id) == volunteer_id,
            col(Notification.session_id) == session_id,
            col(Notification.template) == t.PARTICIPANT_NOT_PASSED,
        )
    )
    told = [json.loads(context or "{}") for (context,) in rows]
    return max(told, key=lambda c: int(c.get("evaluasi", 0)), default=None)


async def participant_evaluated(
    session: AsyncSession, event: tr.ParticipantEvaluated, *, now: datetime
) -> bool:
    """Not passed: tell the volunteer the result, the reasons in words and the next step
    (transactional). Passed: nothing here (`certificate-issued` is their message).

    A re-evaluation is told when the result or its grounds changed: after a pass, or with
    other reasons or figures than the not-passed message already sent; an unchanged result
    is not told again. True when a message was queued.
    """
    if event.passed:
        return False
    reasons = results.result_reasons_text(
        event.reasons,
        days_attended=event.days_attended,
        session_days=event.session_days,
        days_required=event.days_required,
        post_test_score=event.post_test_score,
        pass_mark=event.pass_mark,
    )
    if event.evaluation > 1 and event.previous_passed is False:
        last = await _last_told(session, event.volunteer_id, event.session_id)
        if last is not None and last.get("alasan") == reasons:
            return False
    return await ledger.enqueue(
        session,
        trigger_event_id=result_trigger(event.enrolment_id, event.evaluation),
        recipient_id=event.volunteer_id,
        template=t.PARTICIPANT_NOT_PASSED,
        context={
            "tingkat": event.level,
            "alasan": reasons,
            "koreksi": event.evaluation > 1,
            "evaluasi": event.evaluation,
        },
        session_id=event.session_id,
        now=now,
    )


async def session_reopened(
    session: AsyncSession, event: tr.SessionReopened, *, event_id: uuid.UUID, now: datetime
) -> int:
    """Every participant and waitlisted person is told the session was re-opened for
    correction and results may change (transactional; once per re-opening: the event id is
    the trigger). Returns how many were queued."""
    waiting = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)
    reason = results.reopen_reason_text(event.reason_code)
    queued = 0
    for e in await readmodel.enrolled(session, event.session_id, statuses=waiting):
        queued += await ledger.enqueue(
            session,
            trigger_event_id=event_id,
            recipient_id=e.volunteer_id,
            template=t.SESSION_REOPENED,
            context={"alasan": reason, "menunggu": e.status == EnrolmentStatus.WAITLISTED},
            session_id=event.session_id,
            now=now,
        )
    return queued
