"""A session's title and venue for a message, read from training when the message is written.

The public events carry a session's codes and dates but not what an operator typed (its
title, organiser and venue names); training serves those at `/internal/sessions/{id}` to
services holding `sessions:read`.

Why when composing (with a copy in the read model), not when `session-scheduled` or
`session-rescheduled` is handled:

- A message names the session as it is when the message goes out. Every schedule or
  reschedule event makes the copy stale (`texts_version`), so the first message after a
  move asks training again; a title edited without an event is caught once the copy is
  older than `session_texts_max_age_s`. A fetch begun before an event is not stored after
  it (the version moved on).
- Fetching in the handler would tie the reminders to training being up: the consumer
  retries a handler a bounded number of times and then dead-letters the event, and the
  reminders it schedules with it. Here an outage only delays a message (the delivery is
  retried with backoff, `SessionTextsUnavailable`).
- A reminder is fanned out to hundreds of participants: with the copy that is one call.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from services.notifications.db.tables import TrainingSession
from services.notifications.service import readmodel
from services.notifications.session_texts import SessionTextsUnavailable, SessionUnknown
from services.notifications.state import NotificationsState

__all__ = ["SessionTextsUnavailable", "session_context"]


def _from_copy(row: TrainingSession | None) -> dict[str, Any]:
    return readmodel.session_context(
        title=row.title if row else None,
        venue_name=row.venue_name if row else None,
        start_date=row.start_date if row else None,
        end_date=row.end_date if row else None,
    )


async def session_context(
    state: NotificationsState, session_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    """What templates call `sesi` for this session: the copy while it is current, else
    training's answer (kept as the new copy). SessionTextsUnavailable when training cannot
    answer and no copy may stand in: the message waits and is tried again."""
    async with state.read_sessionmaker() as session:
        row = await readmodel.session_row(session, session_id)
    max_age = timedelta(seconds=state.notifications_settings.session_texts_max_age_s)
    fetched = row.texts_fetched_at if row is not None else None
    if fetched is not None and now - fetched < max_age:
        return _from_copy(row)
    try:
        texts = await state.training.session(session_id)
    except SessionUnknown:
        return _from_copy(row)  # training has no such session: what we hold, or placeholders
    except SessionTextsUnavailable:
        if fetched is not None:
            # Aged but not made stale by an event: the session has not moved since.
            return _from_copy(row)
        raise
    if row is not None:
        async with state.sessionmaker() as session, session.begin():
            await readmodel.store_texts(
                session,
                session_id,
                version=row.texts_version,
                title=texts.title,
                venue_name=texts.venue_name,
                fetched_at=now,
            )
    # The dates are the events' (a reminder's "3 days left" was counted from them); training's
    # only when its events were not seen yet.
    return readmodel.session_context(
        title=texts.title,
        venue_name=texts.venue_name,
        start_date=row.start_date if row is not None else texts.start_date,
        end_date=row.end_date if row is not None else texts.end_date,
    )
