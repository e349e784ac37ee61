"""Subscriber of training.enrolments: confirmed, waitlisted, promoted from the waitlist;
a participant who did not pass told why."""

from __future__ import annotations

from services.notifications.service import results, triggers
from services.notifications.state import NotificationsState
from shared.consumer import EventConsumer, EventContext
from shared.events import training as tr


def register(consumer: EventConsumer, state: NotificationsState) -> None:
    """Subscribe this topic's handlers; they read the clock and settings from `state`."""

    @consumer.handles(tr.EnrolmentConfirmed)
    async def on_enrolment_confirmed(event: tr.EnrolmentConfirmed, ctx: EventContext) -> None:
        """Confirmed (or promoted from the waitlist): tell the volunteer."""
        await triggers.enrolment_confirmed(
            ctx.session, event, event_id=ctx.envelope.event_id, now=state.clock.now()
        )

    @consumer.handles(tr.EnrolmentWaitlisted)
    async def on_enrolment_waitlisted(event: tr.EnrolmentWaitlisted, ctx: EventContext) -> None:
        """Full session: tell the volunteer their place in the queue."""
        await triggers.enrolment_waitlisted(
            ctx.session, event, event_id=ctx.envelope.event_id, now=state.clock.now()
        )

    @consumer.handles(tr.EnrolmentCancelled)
    async def on_enrolment_cancelled(event: tr.EnrolmentCancelled, ctx: EventContext) -> None:
        """Stop reminding this volunteer (and tell them if their session was cancelled)."""
        await triggers.enrolment_cancelled(ctx.session, event, now=state.clock.now())

    @consumer.handles(tr.ParticipantEvaluated)
    async def on_participant_evaluated(event: tr.ParticipantEvaluated, ctx: EventContext) -> None:
        """Did not pass: tell the volunteer why and what next (passes get their certificate)."""
        await results.participant_evaluated(ctx.session, event, now=state.clock.now())
