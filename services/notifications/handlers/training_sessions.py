"""Subscriber of training.sessions: reminders scheduled, moved or cancelled; cancellations and
re-openings told."""

from __future__ import annotations

from services.notifications.service import results, triggers
from services.notifications.state import NotificationsState
from shared.consumer import EventConsumer, EventContext
from shared.events import training as tr


def register(consumer: EventConsumer, state: NotificationsState) -> None:
    """Subscribe this topic's handlers; they read the clock and settings from `state`."""

    @consumer.handles(tr.SessionScheduled)
    async def on_session_scheduled(event: tr.SessionScheduled, ctx: EventContext) -> None:
        """Remember the session and schedule its reminders."""
        await triggers.session_scheduled(
            ctx.session, event, settings=state.notifications_settings, now=state.clock.now()
        )

    @consumer.handles(tr.SessionRescheduled)
    async def on_session_rescheduled(event: tr.SessionRescheduled, ctx: EventContext) -> None:
        """Tell participants and the waitlist the new details; move the reminders."""
        await triggers.session_rescheduled(
            ctx.session,
            event,
            event_id=ctx.envelope.event_id,
            settings=state.notifications_settings,
            now=state.clock.now(),
        )

    @consumer.handles(tr.SessionCancelled)
    async def on_session_cancelled(event: tr.SessionCancelled, ctx: EventContext) -> None:
        """Tell every participant (critical) and drop the reminders."""
        await triggers.session_cancelled(ctx.session, event, now=state.clock.now())

    @consumer.handles(tr.SessionCompleted)
    async def on_session_completed(event: tr.SessionCompleted, ctx: EventContext) -> None:
        """No reminders after the end."""
        await triggers.session_completed(ctx.session, event)

    @consumer.handles(tr.SessionReopened)
    async def on_session_reopened(event: tr.SessionReopened, ctx: EventContext) -> None:
        """Tell participants and the waitlist the session is re-opened; results may change."""
        await results.session_reopened(
            ctx.session, event, event_id=ctx.envelope.event_id, now=state.clock.now()
        )
