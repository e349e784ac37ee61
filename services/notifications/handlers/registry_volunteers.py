"""Subscriber of registry.volunteers: the recipients read model, welcome and activation messages."""

from __future__ import annotations

from services.notifications.service import readmodel, triggers
from services.notifications.state import NotificationsState
from shared.consumer import EventConsumer, EventContext
from shared.events import registry as reg


def register(consumer: EventConsumer, state: NotificationsState) -> None:
    """Subscribe this topic's handlers; they read the clock and settings from `state`."""

    @consumer.handles_many(reg.VolunteerRegistered)
    async def on_volunteers_registered(
        items: list[tuple[reg.VolunteerRegistered, EventContext]],
    ) -> None:
        """Welcome the new candidates (a bulk import's events in two statements)."""
        await triggers.volunteers_registered(
            items[0][1].session,
            [(e, ctx.envelope.event_id) for e, ctx in items],
            now=state.clock.now(),
        )

    @consumer.handles(reg.VolunteerStatusChanged)
    async def on_status_changed(event: reg.VolunteerStatusChanged, ctx: EventContext) -> None:
        """Track the status; congratulate a new active PSM."""
        await triggers.volunteer_status_changed(
            ctx.session, event, event_id=ctx.envelope.event_id, now=state.clock.now()
        )

    @consumer.handles(reg.VolunteerTransferred)
    async def on_transferred(event: reg.VolunteerTransferred, ctx: EventContext) -> None:
        """Follow the volunteer to their new village (segments, scope)."""
        await triggers.volunteer_transferred(ctx.session, event, now=state.clock.now())

    @consumer.handles(reg.VolunteerProfileUpdated)
    async def on_profile_updated(event: reg.VolunteerProfileUpdated, ctx: EventContext) -> None:
        """Contact details changed: drop the local copy."""
        await triggers.volunteer_profile_updated(ctx.session, event)

    @consumer.handles(reg.VolunteerErased)
    async def on_erased(event: reg.VolunteerErased, ctx: EventContext) -> None:
        """Right to erasure: forget contact data here too."""
        await readmodel.erase_volunteer(ctx.session, event.volunteer_id)
