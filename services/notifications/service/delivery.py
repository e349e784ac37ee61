"""The dispatcher's work: release due reminders, then deliver due ledger rows with fallback.

Sending happens outside any database transaction: a row is first claimed (status
`sending` with a lease, FOR UPDATE SKIP LOCKED on PostgreSQL so several dispatchers never
take the same row), then sent, then its outcome recorded. A crash between sending and
recording re-sends after the lease expires: at-least-once towards the provider, which is
why the provider gets the notification id as its reference.

A round works set-based: one claim, the batch's recipients read at once, each row sent in
turn, the outcomes written together (`Book`: every `RECORD_EVERY_S` and at the end of the
round, one transaction of a few statements), so a crash re-sends at most the outcomes of
that last stretch. Providers' rate limits are shared by every replica (`rate_limits`).
Each outcome is counted (psm_notifications_total); per-message log lines are DEBUG.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, update
from sqlmodel import col, select

from services.notifications.channels import OutgoingMessage, PermanentError, TransientError
from services.notifications.contacts import ContactGone, ContactUnavailable
from services.notifications.db.tables import (
    Contact,
    DeliveryAttempt,
    Notification,
    OptOut,
    Recipient,
    ScheduledMessage,
)
from services.notifications.domain import rules, templates
from services.notifications.domain.enums import (
    WAITING,
    AttemptOutcome,
    ChannelName,
    EnrolmentStatus,
    NotificationStatus,
    RecipientKind,
    ScheduledStatus,
)
from services.notifications.service import ledger, readmodel, session_texts
from services.notifications.service.rate_limits import Allowance
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
#: how long sent messages may wait, unrecorded, for the rest of their round (a crash in
#: that time re-sends them after their lease: the provider has the id as reference)
RECORD_EVERY_S = 0.5
_NOTES = Notification.__table__  # type: ignore[attr-defined]
_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]


async def dispatch_once(state: NotificationsState) -> dict[str, int]:
    """One dispatcher round: due reminders become ledger rows, due rows are delivered."""
    now = state.clock.now()
    released = await release_due_messages(state, now)
    delivered = await deliver_due(state, now)
    return {"released": released, "delivered": delivered}


async def release_due_messages(state: NotificationsState, now: datetime) -> int:
    """Fan each due reminder out to the session's confirmed participants (one transaction)."""
    due_now = and_(
        col(ScheduledMessage.status) == ScheduledStatus.PENDING,
        col(ScheduledMessage.due_at) <= now,
    )
    # Why look first without the write lock: most rounds have no reminder due, and a write
    # transaction per round (BEGIN IMMEDIATE on SQLite) would queue behind the consumers.
    async with state.read_sessionmaker() as session:
        probe = select(col(ScheduledMessage.id)).where(due_now).limit(1)
        if (await session.execute(probe)).first() is None:
            return 0
    async with state.sessionmaker() as session, session.begin():
        stmt = (
            select(ScheduledMessage)
            .where(due_now)
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


@dataclass(slots=True)
class Due:
    """A claimed ledger row, as much of it as delivering needs (read as plain columns: an ORM
    object per row cost a third of a message's dispatch)."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_kind: RecipientKind
    template: str
    context: str
    session_id: uuid.UUID | None
    priority: int
    attempts: int
    next_attempt_at: datetime | None
    status: NotificationStatus
    lease_until: datetime | None
    trigger_event_id: uuid.UUID
    created_at: datetime

    def as_notification(self) -> Notification:
        """The row as the ORM model (for the lookups that take one)."""
        return Notification(
            id=self.id,
            recipient_id=self.recipient_id,
            recipient_kind=self.recipient_kind,
            template=self.template,
            channel="",
            body="",
            created_at=self.created_at,
            trigger_event_id=self.trigger_event_id,
            context=self.context,
            session_id=self.session_id,
            priority=self.priority,
            attempts=self.attempts,
            next_attempt_at=self.next_attempt_at,
            status=self.status,
            lease_until=self.lease_until,
        )


#: a ledger row being delivered: claimed by the dispatcher, or built by a caller (access links)
Row = Notification | Due
_DUE_COLUMNS = [_NOTES.c[name] for name in Due.__slots__]


async def claim_due(state: NotificationsState, now: datetime) -> list[Due]:
    """Take the due rows (and those whose sender's lease ran out) for this dispatcher: critical
    before transactional before bulk, each the longest due first."""
    lease = now + timedelta(seconds=state.notifications_settings.delivery_lease_s)
    async with state.sessionmaker() as session, session.begin():
        waiting = and_(
            _NOTES.c.status.in_(WAITING),
            _NOTES.c.next_attempt_at <= now,
        )
        abandoned = and_(
            _NOTES.c.status == NotificationStatus.SENDING,
            _NOTES.c.lease_until < now,
        )
        stmt = (
            select(*_DUE_COLUMNS)
            .where(or_(waiting, abandoned))
            # Why priority first: a cancellation must not wait behind a wave of welcome
            # messages due earlier; index ix_notifications_priority_due serves this order.
            .order_by(_NOTES.c.priority, _NOTES.c.next_attempt_at)
            .limit(state.notifications_settings.dispatch_batch_size)
            .with_for_update(skip_locked=True)
        )
        rows = [Due(*values) for values in (await session.execute(stmt)).all()]
        if rows:
            # one statement for the batch (not an ORM flush of each row)
            await session.execute(
                update(_NOTES)
                .where(_NOTES.c.id.in_([row.id for row in rows]))
                .values(status=NotificationStatus.SENDING, lease_until=lease)
            )
    for row in rows:
        row.status, row.lease_until = NotificationStatus.SENDING, lease
    return rows


async def deliver_due(state: NotificationsState, now: datetime) -> int:
    """Claim the due rows, fetch their missing contacts at once, read their recipients at
    once, deliver each and record the outcomes together."""
    rows = await claim_due(state, now)
    if not rows:
        return 0
    targets = await _targets_or_none(state, rows)
    # their contact is not cached here (or they are operators, whose address is the row's)
    lacking = [r.as_notification() for r in rows if r.id not in targets]
    try:
        problems = await prefetch_contacts(state, lacking)
    except Exception as exc:  # only a shortcut: without it each row looks its contact up alone
        log.error("contact prefetch failed", error=type(exc).__name__)  # SQL errors echo values
        problems = {}
    fetched = [r for r in lacking if r.id not in problems]
    if fetched:
        targets.update(await _targets_or_none(state, fetched))
    allowance = Allowance(state, demand=len(rows))
    book = Book(state)
    try:
        for i, row in enumerate(rows):
            allowance.demand = len(rows) - i
            try:
                outcome = await deliver(
                    state,
                    row,
                    now,
                    contact_problem=problems.get(row.id),
                    target=targets.get(row.id),
                    allowance=allowance,
                )
            except Exception as exc:  # one bad row must not stop the batch; its lease expires
                log.error(
                    "delivery crashed", notification_id=str(row.id), error=describe_error(exc)
                )
                continue
            await book.add(row, outcome)
    finally:
        try:
            await book.flush()
        finally:
            await allowance.close()
    if book.counts:
        log.info("dispatch round", **dict(book.counts))
    return len(rows)


async def _targets_or_none(
    state: NotificationsState, rows: list[Due] | list[Notification]
) -> dict[uuid.UUID, Target]:
    try:
        return await targets_of(state, rows)
    except Exception as exc:  # a shortcut: each row then reads its own
        log.error("recipients lookup failed", error=type(exc).__name__)  # SQL errors echo values
        return {}


_C = Contact.__table__  # type: ignore[attr-defined]
_R = Recipient.__table__  # type: ignore[attr-defined]
_O = OptOut.__table__  # type: ignore[attr-defined]


async def targets_of(
    state: NotificationsState, rows: list[Due] | list[Notification]
) -> dict[uuid.UUID, Target]:
    """The targets of the batch's volunteers whose contact is cached here, in two queries
    of plain columns (contacts with their read-model row, opt-outs); the others are left to
    `prefetch_contacts` and `resolve_target`."""
    ids = list({r.recipient_id for r in rows if r.recipient_kind != RecipientKind.OPERATOR})
    if not ids:
        return {}
    async with state.read_sessionmaker() as session:
        contacts = (
            await session.execute(
                select(_C.c.volunteer_id, _C.c.full_name, _C.c.phone, _C.c.email)
                .add_columns(_C.c.province_code, _R.c.channel_order)
                .add_columns(_R.c.quiet_start_hour, _R.c.quiet_end_hour)
                .select_from(_C.outerjoin(_R, _R.c.volunteer_id == _C.c.volunteer_id))
                .where(_C.c.volunteer_id.in_(ids))
            )
        ).all()
        known = [c[0] for c in contacts]
        outs: dict[uuid.UUID, set[tuple[str, str]]] = {}
        query = select(_O.c.volunteer_id, _O.c.category, _O.c.channel)
        for vid, category, channel in (
            await session.execute(query.where(_O.c.volunteer_id.in_(known)))
        ).all():
            outs.setdefault(vid, set()).add((category, channel))
    default_order = state.notifications_settings.default_channel_order
    orders: dict[str | None, list[str]] = {}
    by_volunteer: dict[uuid.UUID, Target] = {}
    for vid, name, phone, email, province, own, start, end in contacts:
        if own not in orders:  # a handful of distinct orders: parsed once each
            orders[own] = rules.parse_order(own, default_order)
        by_volunteer[vid] = Target(
            name=name,
            phone=phone,
            email=email,
            province_code=province,
            order=list(orders[own]),
            opt_outs=outs.get(vid, set()),
            quiet=(start, end) if start is not None and end is not None else None,
        )
    return {
        r.id: by_volunteer[r.recipient_id]
        for r in rows
        if r.recipient_kind != RecipientKind.OPERATOR and r.recipient_id in by_volunteer
    }


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try on one channel, as `delivery_attempts` keeps it (a plain record: building an
    ORM object per try cost more than the rest of a message's dispatch)."""

    notification_id: uuid.UUID
    channel: str
    outcome: AttemptOutcome
    attempted_at: datetime
    provider_id: str | None = None
    error: str | None = None

    def row(self) -> DeliveryAttempt:
        """The ORM row of this try."""
        return DeliveryAttempt(
            id=uuid.uuid4(),
            notification_id=self.notification_id,
            channel=ChannelName(self.channel),
            outcome=self.outcome,
            provider_id=self.provider_id,
            error=self.error,
            attempted_at=self.attempted_at,
        )


@dataclass
class Outcome:
    """What delivering a row came to (sent, deferred, retry, failed or suppressed)."""

    status: NotificationStatus
    channel: str = NO_CHANNEL
    next_attempt_at: datetime | None = None
    provider_id: str | None = None
    body: str | None = None
    error: str | None = None
    tried: list[Attempt] = field(default_factory=list)
    #: when the provider took it (the service clock), for the ledger's sent_at
    sent_at: datetime | None = None

    @property
    def attempts(self) -> list[DeliveryAttempt]:
        """The tries as ORM rows (for a caller that adds them to its session)."""
        return [a.row() for a in self.tried]


async def deliver(
    state: NotificationsState,
    row: Row,
    now: datetime,
    *,
    contact_problem: ContactProblem | None = None,
    target: Target | None = None,
    allowance: Allowance | None = None,
) -> Outcome:
    """Decide and try: quiet hours, preferences, channels in order, retry or give up.
    `target`: the recipient as the batch read them (else read here); `allowance`: the
    round's tokens of the shared rate limits."""
    spec = templates.get(row.template)
    try:
        if contact_problem is not None:  # the batch lookup already knows this row's answer
            raise contact_problem
        if target is None:
            note = row.as_notification() if isinstance(row, Due) else row
            target = await resolve_target(state, note)
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
    return await try_channels(state, row, now, plan, address, subject, body, allowance=allowance)


async def try_channels(
    state: NotificationsState,
    row: Row,
    now: datetime,
    plan: list[str],
    address: rules.Address,
    subject: str,
    body: str,
    *,
    allowance: Allowance | None = None,
) -> Outcome:
    """Each planned channel in turn until one takes the message; a busy one defers it.
    Tokens come from `allowance` (the round's), else from the shared buckets directly."""
    if allowance is None:
        allowance = Allowance(state)
        try:
            return await try_channels(
                state, row, now, plan, address, subject, body, allowance=allowance
            )
        finally:
            await allowance.close()
    attempts: list[Attempt] = []
    transient = False
    for channel in plan:
        # The buckets read the service clock (not the round's `now`): time passes while sending.
        wait = await allowance.take(channel)
        if wait > 0:
            return Outcome(
                NotificationStatus.DEFERRED,
                channel=channel,
                next_attempt_at=now + timedelta(seconds=wait),
                error="rate limited",
                tried=attempts,
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
            NotificationStatus.SENT,
            channel,
            provider_id=provider_id,
            body=body,
            tried=attempts,
            sent_at=state.clock.now(),
        )
    last = attempts[-1] if attempts else None
    failed = Outcome(
        NotificationStatus.RETRY if transient else NotificationStatus.FAILED,
        channel=last.channel if last else NO_CHANNEL,
        error=last.error if last else None,
        tried=attempts,
        body=body,
    )
    return retry_or_fail(state, row, now, failed) if transient else failed


def retry_or_fail(state: NotificationsState, row: Row, now: datetime, outcome: Outcome) -> Outcome:
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
    row: Row,
    channel: str,
    outcome: AttemptOutcome,
    now: datetime,
    *,
    provider_id: str | None = None,
    error: str | None = None,
) -> Attempt:
    return Attempt(row.id, channel, outcome, now, provider_id=provider_id, error=error)


async def record(state: NotificationsState, row: Row, outcome: Outcome) -> None:
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
            current.sent_at = outcome.sent_at or state.clock.now()
        elif outcome.channel != NO_CHANNEL:
            current.channel = outcome.channel
        session.add(current)
    state.count(outcome.channel, outcome.status)
    log.debug(
        "notification " + outcome.status,
        notification_id=str(row.id),
        template=row.template,
        channel=outcome.channel,
    )


class Book:
    """A round's outcomes, written together: every `RECORD_EVERY_S` of the round and at its
    end, in one transaction (`record_many`), counted by channel and outcome."""

    def __init__(self, state: NotificationsState, *, every_s: float = RECORD_EVERY_S) -> None:
        self._state = state
        self._every_s = every_s
        self._pending: list[tuple[Row, Outcome]] = []
        self._since = time.monotonic()
        #: outcomes recorded in this round, by status (the round's log line)
        self.counts: Counter[str] = Counter()

    async def add(self, row: Row, outcome: Outcome) -> None:
        """Keep the outcome; write the pending ones if the last write is `every_s` old."""
        self._pending.append((row, outcome))
        if time.monotonic() - self._since >= self._every_s:
            await self.flush()

    async def flush(self) -> None:
        """Write the pending outcomes (one transaction)."""
        pending, self._pending = self._pending, []
        self._since = time.monotonic()
        if not pending:
            return
        await record_many(self._state, pending)
        self.counts.update(str(outcome.status) for _, outcome in pending)


_RECORD = (
    update(_NOTES)
    .where(_NOTES.c.id == bindparam("b_id"), _NOTES.c.status == NotificationStatus.SENDING)
    .values(
        status=bindparam("b_status", type_=_NOTES.c.status.type),
        lease_until=None,
        next_attempt_at=bindparam("b_next", type_=_NOTES.c.next_attempt_at.type),
        last_error=bindparam("b_error", type_=_NOTES.c.last_error.type),
        attempts=_NOTES.c.attempts + bindparam("b_tried"),
        body=func.coalesce(bindparam("b_body", type_=_NOTES.c.body.type), _NOTES.c.body),
        channel=func.coalesce(
            bindparam("b_channel", type_=_NOTES.c.channel.type), _NOTES.c.channel
        ),
        provider_id=func.coalesce(
            bindparam("b_provider", type_=_NOTES.c.provider_id.type), _NOTES.c.provider_id
        ),
        sent_at=func.coalesce(bindparam("b_sent", type_=_NOTES.c.sent_at.type), _NOTES.c.sent_at),
    )
)


_NEW_ATTEMPT = insert(_ATTEMPTS).values(
    {c.key: bindparam(c.key, type_=c.type) for c in _ATTEMPTS.c}
)
#: per statement: its SQL for SQLite, the order of its parameters and their converters
_SQLITE_PLANS: dict[int, tuple[str, list[tuple[str, Any, Any]]]] = {}


async def _executemany(session: Any, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """`session.execute(stmt, rows)`; on SQLite straight to the driver's executemany, each
    value converted by its parameter's type (what SQLAlchemy would do, without building
    and checking every row's parameters in Python: most of the recording's CPU)."""
    if not rows:
        return
    conn = await session.connection()
    if conn.dialect.name != "sqlite":
        await session.execute(stmt, rows)
        return
    plan = _SQLITE_PLANS.get(id(stmt))
    if plan is None:
        dialect = conn.dialect
        compiled = stmt.compile(dialect=dialect)
        order = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]  # a row's value, else the statement's own (a literal)
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            order.append((name, convert, bind.value))
        plan = _SQLITE_PLANS[id(stmt)] = (compiled.string, order)
    sql, order = plan
    params = [
        tuple(
            (convert(row.get(name, default)) if convert else row.get(name, default))
            for name, convert, default in order
        )
        for row in rows
    ]
    await conn.exec_driver_sql(sql, params)


async def record_many(state: NotificationsState, items: list[tuple[Row, Outcome]]) -> None:
    """`record` for many outcomes in one transaction: the attempts of the rows still in the
    ledger, the outcome of those still `sending` (an erasure or a resend meanwhile keeps
    its decision). Rows are locked in id order (as `store_contacts` does: no deadlock)."""
    ids = sorted({row.id for row, _ in items})
    async with state.sessionmaker() as session, session.begin():
        query = (
            select(col(Notification.id), col(Notification.status))
            .where(col(Notification.id).in_(ids))
            .order_by(col(Notification.id))
            .with_for_update()
        )
        current = {nid: status for nid, status in (await session.execute(query)).all()}
        attempts = [
            {
                "id": uuid.uuid4(),
                "notification_id": a.notification_id,
                "channel": a.channel,
                "outcome": a.outcome,
                "provider_id": a.provider_id,
                "error": a.error,
                "attempted_at": a.attempted_at,
            }
            for row, outcome in items
            if row.id in current
            for a in outcome.tried
        ]
        await _executemany(session, _NEW_ATTEMPT, attempts)
        changes = [
            _change(state, row, outcome)
            for row, outcome in items
            if current.get(row.id) == NotificationStatus.SENDING
        ]
        await _executemany(session, _RECORD, changes)
    tally = Counter((outcome.channel, str(outcome.status)) for _, outcome in items)
    for (channel, status), n in tally.items():  # psm_notifications_total, once per kind
        state.notifications_total.labels(channel, status).inc(n)
    if _debug_enabled():  # asked once: a filtered-out call still builds a logger
        for row, outcome in items:
            log.debug(
                "notification " + outcome.status,
                notification_id=str(row.id),
                template=row.template,
                channel=outcome.channel,
            )


def _debug_enabled() -> bool:
    check = getattr(log.bind(), "is_enabled_for", None)
    return True if check is None else bool(check(logging.DEBUG))


def _change(state: NotificationsState, row: Row, outcome: Outcome) -> dict[str, Any]:
    sent = outcome.status == NotificationStatus.SENT
    return {
        "b_id": row.id,
        "b_status": outcome.status,
        "b_next": outcome.next_attempt_at,
        "b_error": outcome.error,
        "b_tried": 0 if outcome.status == NotificationStatus.DEFERRED else 1,
        "b_body": outcome.body,
        "b_channel": outcome.channel if outcome.channel != NO_CHANNEL else None,
        "b_provider": outcome.provider_id if sent else None,
        "b_sent": (outcome.sent_at or state.clock.now()) if sent else None,
    }


async def render(
    state: NotificationsState, row: Row, target: Target, *, now: datetime
) -> tuple[str, str]:
    """The row's subject and body: the recipient's name, the session (its title and venue
    from training, `session_texts`), the row's own context."""
    context: dict[str, Any] = {"nama": target.name}
    if row.session_id is not None:
        context.update(await session_texts.session_context(state, row.session_id, now=now))
    context.update(json.loads(row.context or "{}"))
    return templates.render(row.template, context)
