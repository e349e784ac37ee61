"""Subscriber of training.certificates: the certificate message and the segment's level."""

from __future__ import annotations

from services.notifications.service import triggers
from services.notifications.state import NotificationsState
from shared.consumer import EventConsumer, EventContext
from shared.events import training as tr


def register(consumer: EventConsumer, state: NotificationsState) -> None:
    """Subscribe this topic's handlers; they read the clock and settings from `state`."""

    @consumer.handles(tr.CertificateIssued)
    async def on_certificate_issued(event: tr.CertificateIssued, ctx: EventContext) -> None:
        """Send the verification code and link."""
        await triggers.certificate_issued(
            ctx.session,
            event,
            event_id=ctx.envelope.event_id,
            settings=state.notifications_settings,
            now=state.clock.now(),
        )

    @consumer.handles(tr.CertificateRevoked)
    async def on_certificate_revoked(event: tr.CertificateRevoked, ctx: EventContext) -> None:
        """The level no longer counts for segments."""
        await triggers.certificate_revoked(ctx.session, event)
