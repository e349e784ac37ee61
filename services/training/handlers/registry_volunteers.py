"""Subscriber of registry.volunteers: keeps training's read model of volunteers."""

from __future__ import annotations

from services.training.service import volunteers
from services.training.state import TrainingState
from shared.consumer import EventConsumer, EventContext
from shared.events.registry import (
    VolunteerErased,
    VolunteerRegistered,
    VolunteerStatusChanged,
    VolunteerTransferred,
)


def register(consumer: EventConsumer, state: TrainingState) -> None:
    """Subscribe this topic's handlers; they read the clock from `state`."""

    @consumer.handles_many(VolunteerRegistered)
    async def on_volunteers_registered(
        items: list[tuple[VolunteerRegistered, EventContext]],
    ) -> None:
        """New candidates can now be enrolled (a bulk import's events in one statement)."""
        await volunteers.record_volunteers(
            items[0][1].session, [e for e, _ in items], now=state.clock.now()
        )

    @consumer.handles(VolunteerStatusChanged)
    async def on_volunteer_status_changed(event: VolunteerStatusChanged, ctx: EventContext) -> None:
        """Eligibility depends on the status (e.g. lanjutan needs an active PSM)."""
        await volunteers.change_status(ctx.session, event, now=state.clock.now())

    @consumer.handles(VolunteerTransferred)
    async def on_volunteer_transferred(event: VolunteerTransferred, ctx: EventContext) -> None:
        """Eligible regions, quotas and reports follow the volunteer's new region."""
        await volunteers.transfer(ctx.session, event, now=state.clock.now())

    @consumer.handles(VolunteerErased)
    async def on_volunteer_erased(event: VolunteerErased, ctx: EventContext) -> None:
        """Right to erasure: forget the volunteer's region and status."""
        await volunteers.erase(ctx.session, event, now=state.clock.now())
