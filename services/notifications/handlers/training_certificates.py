"""Subscriber of training.certificates: the certificate message and the segment's level."""

from __future__ import annotations

from services.notifications.service import triggers
from services.notifications.wiring import Deps
from shared.consumer import EventConsumer, EventContext
from shared.events import training as tr


def register(consumer: EventConsumer, deps: Deps) -> None:
    @consumer.handles(tr.CertificateIssued)
    async def on_certificate_issued(event: tr.CertificateIssued, ctx: EventContext) -> None:
        """Send the verification code and link."""
        await triggers.certificate_issued(
            ctx.session,
            event,
            event_id=ctx.envelope.event_id,
            settings=deps.settings,
            now=deps.clock(),
        )

    @consumer.handles(tr.CertificateRevoked)
    async def on_certificate_revoked(event: tr.CertificateRevoked, ctx: EventContext) -> None:
        """The level no longer counts for segments."""
        await triggers.certificate_revoked(ctx.session, event)
