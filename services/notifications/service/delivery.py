"""The dispatcher's work: release due reminders, then deliver due ledger rows with fallback.

Sending happens outside any database transaction: a row is first claimed (status
`sending` with a lease, FOR UPDATE SKIP LOCKED on PostgreSQL so several dispatchers never
take the same row), then sent, then its outcome recorded. A crash between sending and
recording re-sends after the lease expires: at-least-once towards the provider, which is
why the provider gets the notification id as its reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from services.notifications.channels import OutgoingMessage, PermanentError, TransientError
from services.notifications.contacts import ContactGone, ContactUnavailable
from services.notifications.db.tables import (
    DeliveryAttempt,
    Notification,
    ScheduledMessage,
)
from services.notifications.domain import rules, templates
from services.notifications.domain.enums import (
    WAITING,
    AttemptOutcome,
    ChannelName,
    EnrolmentStatus,
    NotificationStatus,
    ScheduledStatus,
)
from services.notifications.service import ledger, readmodel, session_texts
from services.notifications.service.recipients import (
    ContactProblem,
    Target,
    prefetch_contacts,
    resolve_target,
)
from services.notifications.service.session_texts import SessionTextsUnavailable
from services.notifications.state import NotificationsState
from shared.dead_letters import describe_error
from shared.logging import get_logger
from shared.regions import timezone_of

log = get_logger("notifications.delivery")
NO_CHANNEL = "none"  # an outcome's channel when none was tried (a metrics label, never stored)


async def dispatch_once(state: NotificationsState) -> dict[str, int]:
    """One dispatcher round: due reminders become ledger rows, due rows are delivered."""
    now = state.clock.now()
    released = await release_due_messages(state, now)
    delivered = await deliver_due(state, now)
    return {"released": released, "delivered": delivered}


async def release_due_messages(state: NotificationsState, now: datetime) -> int:
    """Fan each due reminder out to the session's confirmed participants (one transaction)."""
    async with state.sessionmaker() as session, session.begin():
        stmt = (
            select(ScheduledMessage)
            .where(
                col(ScheduledMessage.status) == ScheduledStatus.PENDING,
                col(ScheduledMessage.due_at) <= now,
            )
            .order_by(col(ScheduledMessage.due_at))
            .limit(state.notifications_settings.dispatch_batch_size)
            .with_for_update(skip_locked=True)
        )
        due = list((await session.execute(stmt)).scalars())
        for message in due:
            if message.session_id is not None:
                for e in await readmodel.enrolled(
                    session, message.session_id, statuses=(EnrolmentStatus.CONFIRMED,)
                ):
                    await ledger.enqueue(
                        session,
                        trigger_event_id=message.id,
                        recipient_id=e.volunteer_id,
                        template=message.template,
                        context=json.loads(message.context),
                        session_id=message.session_id,
                        now=now,
                    )
            message.status, message.done_at = ScheduledStatus.DONE, now
            session.add(message)
    return len(due)


async def claim_due(state: NotificationsState, now: datetime) -> list[Notification]:
    """Take the due rows (and those whose sender's lease ran out) for this dispatcher: critical
    before transactional before bulk, each the longest due first."""
    lease = now + timedelta(seconds=state.notifications_settings.delivery_lease_s)
    async with state.sessionmaker() as session, session.begin():
        waiting = and_(
            col(Notification.status).in_(WAITING),
            col(Notification.next_attempt_at) <= now,
        )
        abandoned = and_(
            col(Notification.status) == NotificationStatus.SENDING,
            col(Notification.lease_until) < now,
        )
        stmt = (
            select(Notification)
            .where(or_(waiting, abandoned))
            # Why priority first: a cancellation must not wait behind a wave of welcome
            # messages due earlier; index ix_notifications_priority_due serves this order.
            .order_by(col(Notification.priority), col(Notification.next_attempt_at))
            .limit(state.notifications_settings.dispatch_batch_size)
            .with_for_update(skip_locked=True)
        )
        rows = list((await session.execute(stmt)).scalars())
        for row in rows:
            row.status, row.lease_until = NotificationStatus.SENDING, lease
            session.add(row)
    return rows


async def deliver_due(state: NotificationsState, now: datetime) -> int:
    """Claim the due rows, fetch their missing contacts at once, deliver each and record it."""
    rows = await claim_due(state, now)
    try:
        problems = await prefetch_contacts(state, rows)
    except Exception as exc:  # only a shortcut: without it each row looks its contact up alone
        log.error("contact prefetch failed", error=type(exc).__name__)  # SQL errors echo values
        problems = {}
    for row in rows:
        try:
            outcome = await deliver(state, row, now, contact_problem=problems.get(row.id))
        except Exception as exc:  # one bad row must not stop the batch; its lease expires
            log.error("delivery crashed", notification_id=str(row.id), error=describe_error(exc))
            continue
        await record(state, row, outcome)
    return len(rows)


@dataclass
class Outcome:
    """What delivering a row came to (sent, deferred, retry, failed or suppressed)."""

    status: NotificationStatus
    channel: str = NO_CHANNEL
    next_attempt_at: datetime | None = None
    provider_id: str | None = None
    body: str | None = None
    error: str | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)


async def deliver(
    state: NotificationsState,
    row: Notification,
    now: datetime,
    *,
    contact_problem: ContactProblem | None = None,
) -> Outcome:
    """Decide and try: quiet hours, preferences, channels in order, retry or give up."""
    spec = templates.get(row.template)
    try:
        if contact_problem is not None:  # the batch lookup already knows this row's answer
            raise contact_problem
        target = await resolve_target(state, row)
    except ContactGone:
        return Outcome(NotificationStatus.FAILED, error="recipient unknown or erased at registry")
    except ContactUnavailable as exc:
        return retry_or_fail(state, row, now, Outcome(NotificationStatus.RETRY, error=str(exc)))
    try:
        subject, body = await render(state, row, target, now=now)
    except templates.TemplateError as exc:
        return Outcome(NotificationStatus.FAILED, error=str(exc))
    except SessionTextsUnavailable as exc:  # the session's title and venue: ask again later
        return retry_or_fail(state, row, now, Outcome(NotificationStatus.RETRY, error=str(exc)))
    zone = timezone_of(target.province_code) if target.province_code else "Asia/Jakarta"
    settings = state.notifications_settings
    start, end = target.quiet or (settings.quiet_start_hour, settings.quiet_end_hour)
    until = rules.quiet_until(now, zone, start_hour=start, end_hour=end)
    if until is not None:
        return Outcome(
            NotificationStatus.DEFERRED, next_attempt_at=until, error="quiet hours", body=body
        )
    address = rules.Address(phone=target.phone, email=target.email)
    plan = rules.channel_plan(
        target.order,
        address=address,
        category=spec.category,
        opt_outs=target.opt_outs,
        critical=spec.critical,
    )
    if not plan:
        reachable = rules.channel_plan(
            target.order, address=address, category=spec.category, opt_outs=set(), critical=True
        )
        if reachable:
            return Outcome(NotificationStatus.SUPPRESSED, error="opted out")
        return Outcome(NotificationStatus.FAILED, error="no address on any channel")
    return await try_channels(state, row, now, plan, address, subject, body)


async def try_channels(
    state: NotificationsState,
    row: Notification,
    now: datetime,
    plan: list[str],
    address: rules.Address,
    subject: str,
    body: str,
) -> Outcome:
    """Each planned channel in turn until one takes the message; a busy one defers it."""
    attempts: list[DeliveryAttempt] = []
    transient = False
    for channel in plan:
        bucket = state.bucket(channel)
        # The bucket reads the service clock (not the round's `now`): time passes while sending.
        wait = bucket.try_take(state.clock.now()) if bucket else 0.0
        if wait > 0:
            return Outcome(
                NotificationStatus.DEFERRED,
                channel=channel,
                next_attempt_at=now + timedelta(seconds=wait),
                error="rate limited",
                attempts=attempts,
                body=body,
            )
        to = rules.address_for(channel, address) or ""
        message = OutgoingMessage(str(row.id), to, subject, body, row.template)
        try:
            provider_id = await state.channels[channel].send(message)
        except (TransientError, PermanentError) as exc:
            kind = (
                AttemptOutcome.TRANSIENT
                if isinstance(exc, TransientError)
                else AttemptOutcome.PERMANENT
            )
            transient = transient or kind == AttemptOutcome.TRANSIENT
            attempts.append(_attempt(row, channel, kind, now, error=describe_error(exc)))
            continue
        attempts.append(_attempt(row, channel, AttemptOutcome.SENT, now, provider_id=provider_id))
        return Outcome(
            NotificationStatus.SENT, channel, provider_id=provider_id, body=body, attempts=attempts
        )
    last = attempts[-1] if attempts else None
    failed = Outcome(
        NotificationStatus.RETRY if transient else NotificationStatus.FAILED,
        channel=last.channel if last else NO_CHANNEL,
        error=last.error if last else None,
        attempts=attempts,
        body=body,
    )
    return retry_or_fail(state, row, now, failed) if transient else failed


def retry_or_fail(
    state: NotificationsState, row: Notification, now: datetime, outcome: Outcome
) -> Outcome:
    """Transient trouble: back off and retry, until the attempts are spent."""
    attempt = row.attempts + 1
    if attempt >= state.notifications_settings.delivery_max_attempts:
        outcome.status = NotificationStatus.FAILED
        return outcome
    outcome.next_attempt_at = now + rules.retry_delay(
        attempt,
        state.notifications_settings.delivery_backoff_s,
        state.notifications_settings.delivery_backoff_max_s,
    )
    return outcome


def _attempt(
    row: Notification,
    channel: str,
    outcome: AttemptOutcome,
    now: datetime,
    *,
    provider_id: str | None = None,
    error: str | None = None,
) -> DeliveryAttempt:
    return DeliveryAttempt(
        notification_id=row.id,
        channel=ChannelName(channel),
        outcome=outcome,
        provider_id=provider_id,
        error=error,
        attempted_at=now,
    )


async def record(state: NotificationsState, row: Notification, outcome: Outcome) -> None:
    """Write the outcome and its attempts, unless an erasure or a resend decided meanwhile."""
    async with state.sessionmaker() as session, session.begin():
        current = await session.get(Notification, row.id, with_for_update=True)
        if current is None:
            return
        for attempt in outcome.attempts:
            session.add(attempt)
        if (
            current.status != NotificationStatus.SENDING
        ):  # erased or resent meanwhile: keep their decision
            return
        current.status = outcome.status
        current.lease_until = None
        current.next_attempt_at = outcome.next_attempt_at
        current.last_error = outcome.error
        if outcome.status != NotificationStatus.DEFERRED:
            current.attempts += 1
        if outcome.body is not None:
            current.body = outcome.body
        if outcome.status == NotificationStatus.SENT:
            current.channel, current.provider_id = outcome.channel, outcome.provider_id
            current.sent_at = state.clock.now()
        elif outcome.channel != NO_CHANNEL:
            current.channel = outcome.channel
        session.add(current)
    state.count(outcome.channel, outcome.status)
    log.info(
        "notification " + outcome.status,
        notification_id=str(row.id),
        template=row.template,
        channel=outcome.channel,
    )


async def render(
    state: NotificationsState, row: Notification, target: Target, *, now: datetime
) -> tuple[str, str]:
    """The row's subject and body: the recipient's name, the session (its title and venue
    from training, `session_texts`), the row's own context."""
    context: dict[str, Any] = {"nama": target.name}
    if row.session_id is not None:
        context.update(await session_texts.session_context(state, row.session_id, now=now))
    context.update(json.loads(row.context or "{}"))
    return templates.render(row.template, context)
