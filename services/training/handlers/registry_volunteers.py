"""Subscriber of registry.volunteers: keeps training's read model of volunteers."""

from __future__ import annotations

from services.training import service
from shared.consumer import EventConsumer, EventContext
from shared.events.registry import VolunteerRegistered


def register(consumer: EventConsumer) -> None:
    @consumer.handles(VolunteerRegistered)
    async def on_volunteer_registered(event: VolunteerRegistered, ctx: EventContext) -> None:
        """A new candidate can now be enrolled."""
        await service.record_volunteer(ctx.session, event)
