"""Send a volunteer the one-time link to their own page, at once, over their channels.

Why not through the ledger's dispatcher like every other message: the ledger keeps what it
will send (context and text) until it is sent, and the link's code must never be kept. So
the message is rendered and sent now, on the volunteer's channels in their order, and the
ledger row written afterwards holds the text with the code masked. The volunteer asked for
it through an operator, like a login code, so quiet hours do not hold it back and the
opt-outs of the `account` category do not suppress it; a send that does not go through
(no reachable channel, a busy or failing one) is recorded `failed` and answered 503, never
retried (the code is gone): the operator sends a new link.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from services.notifications.contacts import ContactGone, ContactUnavailable
from services.notifications.db.tables import Notification
from services.notifications.domain import rules, templates
from services.notifications.domain.enums import NotificationStatus
from services.notifications.service import ledger
from services.notifications.service.delivery import NO_CHANNEL, Outcome, try_channels
from services.notifications.service.recipients import resolve_target
from services.notifications.state import NotificationsState
from shared.errors import NotFound, Unavailable
from shared.i18n import t
from shared.logging import get_logger

log = get_logger("notifications.access_links")

#: what the ledger keeps in place of the code
MASK = "••••••"


class AccessLinkNotSent(Unavailable):
    """The message did not go out (no reachable channel, a busy or failing one)."""

    def __init__(self) -> None:
        super().__init__(
            t(
                "tautan halaman PSM tidak dapat dikirim sekarang; kirim tautan baru nanti",
                "the page link could not be sent now; send a new link later",
            ),
            retry_after_s=60,
        )


class RecipientUnknown(NotFound):
    """notifications does not know the volunteer (not synced yet, or erased)."""

    def __init__(self) -> None:
        super().__init__(
            t(
                "relawan ini belum dikenal layanan notifikasi",
                "notifications does not know this volunteer",
            )
        )


def validity(minutes: int) -> str:
    """`24 jam`, `2 jam`, `30 menit`."""
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes // 60} jam"
    return f"{minutes} menit"


def page_url(console_url: str, code: str) -> str:
    """The link the volunteer opens."""
    return f"{console_url.rstrip('/')}/v/{code}"


async def send_access_link(
    state: NotificationsState,
    volunteer_id: uuid.UUID,
    code: str,
    *,
    valid_minutes: int,
    now: datetime,
) -> tuple[uuid.UUID, str]:
    """Render and send the link now; record the message in the ledger with the code masked.
    Answers the ledger row's id and the channel that took it; `AccessLinkNotSent` (503)
    unless it was sent, `RecipientUnknown` (404)."""
    spec = templates.get(templates.ACCESS_LINK)
    url = page_url(state.notifications_settings.console_url, code)
    context = {"tautan": url, "berlaku": validity(valid_minutes)}
    row = Notification(
        id=uuid.uuid4(),
        trigger_event_id=uuid.uuid4(),
        recipient_id=volunteer_id,
        template=spec.name,
        template_version=spec.version,
        category=spec.category,
        priority=int(spec.priority),
        channel="",
        status=NotificationStatus.SENDING,
        body="",
        # Why no `tautan` in the stored context: should the dispatcher ever take this row
        # (a crash before its outcome is written), it cannot render and fails it.
        context="{}",
        created_at=now,
        lease_until=now + timedelta(seconds=state.notifications_settings.delivery_lease_s),
    )
    async with state.sessionmaker() as session, session.begin():
        row.region_code = await ledger.region_of(session, volunteer_id)
        session.add(row)
    try:
        target = await resolve_target(state, row)
    except ContactGone:
        await _record(state, row, Outcome(NotificationStatus.FAILED, error="unknown"), masked="")
        raise RecipientUnknown() from None
    except ContactUnavailable as exc:
        log.warning("access link: contact unavailable", error=type(exc).__name__)
        outcome = Outcome(NotificationStatus.FAILED, error="contact unavailable")
        await _record(state, row, outcome, masked="")
        raise AccessLinkNotSent() from exc
    subject, body = templates.render(spec.name, {"nama": target.name, **context})
    address = rules.Address(phone=target.phone, email=target.email)
    plan = rules.channel_plan(
        target.order, address=address, category=spec.category, opt_outs=set(), critical=True
    )
    if plan:
        outcome = await try_channels(state, row, now, plan, address, subject, body)
    else:
        outcome = Outcome(NotificationStatus.FAILED, error="no address on any channel")
    if outcome.status != NotificationStatus.SENT:
        outcome.status, outcome.next_attempt_at = NotificationStatus.FAILED, None
    await _record(state, row, outcome, masked=body.replace(code, MASK))
    if outcome.status != NotificationStatus.SENT:
        raise AccessLinkNotSent()
    return row.id, outcome.channel


async def _record(
    state: NotificationsState, row: Notification, outcome: Outcome, *, masked: str
) -> None:
    """The outcome on the ledger row, the text with the code masked, and the attempts."""
    async with state.sessionmaker() as session, session.begin():
        current = await session.get(Notification, row.id, with_for_update=True)
        if current is None:
            return
        current.status = outcome.status
        current.body = masked
        current.context = json.dumps({"tautan": MASK})
        current.attempts = 1
        current.lease_until = None
        current.last_error = outcome.error
        if outcome.channel != NO_CHANNEL:
            current.channel = outcome.channel
        if outcome.status == NotificationStatus.SENT:
            current.provider_id, current.sent_at = outcome.provider_id, state.clock.now()
        session.add(current)
        for attempt in outcome.attempts:
            session.add(attempt)
    state.count(outcome.channel, outcome.status)
    log.info(
        "access link " + outcome.status,
        notification_id=str(row.id),
        template=row.template,
        channel=outcome.channel,
    )
