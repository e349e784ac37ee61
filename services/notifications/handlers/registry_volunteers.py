"""Subscriber of registry.volunteers: messages triggered by registry events."""

from __future__ import annotations

from services.notifications import service
from shared.consumer import EventConsumer, EventContext
from shared.events.registry import VolunteerRegistered


def register(consumer: EventConsumer) -> None:
    @consumer.handles(VolunteerRegistered)
    async def on_volunteer_registered(event: VolunteerRegistered, ctx: EventContext) -> None:
        """Welcome the new candidate."""
        await service.notify_registration_received(
            ctx.session, trigger_event_id=ctx.envelope.event_id, volunteer_id=event.volunteer_id
        )
