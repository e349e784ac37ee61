"""Subscriber of training.certificates: a passed Bimtek raises the training level; a passed
`dasar` turns a ready candidate into an active PSM; a revoked certificate lowers the level
to what is still certified (without a valid `dasar`, back to candidate)."""

from __future__ import annotations

from services.registry.db.tables import Volunteer
from services.registry.service import lifecycle
from services.registry.state import RegistryState
from shared.consumer import EventConsumer, EventContext, PermanentError
from shared.events.training import CertificateIssued, CertificateRevoked


def register(consumer: EventConsumer, state: RegistryState) -> None:
    """Subscribe registry's handler of `certificate-issued`."""

    @consumer.handles(CertificateIssued)
    async def on_certificate_issued(event: CertificateIssued, ctx: EventContext) -> None:
        """Record the level reached and activate the candidate if every condition is met."""
        volunteer = await ctx.session.get(Volunteer, event.volunteer_id)
        if volunteer is None:
            # Training only knows volunteers registry announced, so this can never apply.
            raise PermanentError("certificate for a volunteer registry does not know")
        await lifecycle.record_certificate(
            ctx.session,
            volunteer,
            event,
            settings=state.registry_settings,
            now=state.clock.now(),
        )

    @consumer.handles(CertificateRevoked)
    async def on_certificate_revoked(event: CertificateRevoked, ctx: EventContext) -> None:
        """Recompute the level from the certificates still valid; apply the lifecycle rule."""
        volunteer = await ctx.session.get(Volunteer, event.volunteer_id)
        if volunteer is None:
            raise PermanentError("certificate revoked for a volunteer registry does not know")
        await lifecycle.record_revocation(ctx.session, volunteer, event, now=state.clock.now())
