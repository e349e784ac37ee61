"""Idempotent, acknowledged-after-commit event consumption with retries and dead letters.

FastStream's Kafka defaults lose messages (auto-commit before handling, or commit on
error). Every subscriber here uses a manual ack policy and this wrapper, which guarantees
that each record ends in exactly one of: applied and committed, skipped as a duplicate,
ignored (an event type this consumer does not handle), or dead-lettered — and only then is
its offset committed. Nothing escapes the wrapper except cancellation at shutdown, which
leaves the offset uncommitted so the record is redelivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import structlog
from faststream.kafka import KafkaBroker
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.dead_letters import DeadLetterWriter, describe_error
from shared.events.base import Event
from shared.events.envelope import Envelope, EnvelopeError
from shared.faststream_adapter import (
    KafkaConsumer,
    Message,
    Record,
    commit_past,
    manual_ack_subscriber,
    records_of,
    running_consumer,
)
from shared.inbox import claim_many
from shared.logging import get_logger, is_enabled_for
from shared.metrics import ServiceMetrics
from shared.offsets import CommittedOffsetsCheck
from shared.outbox import correlation_id_var
from shared.relay import backoff
from shared.settings import ServiceSettings

E = TypeVar("E", bound=Event)
log = get_logger("shared.consumer")


class PermanentError(Exception):
    """Raised by a handler when the event can never be applied: dead-letter it at once."""


@dataclass(frozen=True)
class EventContext:
    """What a handler gets besides the event: the open session, the envelope, the position."""

    session: AsyncSession
    envelope: Envelope
    topic: str
    partition: int
    offset: int


Handler = Callable[[Any, EventContext], Awaitable[None]]
#: applies a run of consecutive events of one type, all in the same session and transaction
BatchHandler = Callable[[list[tuple[Any, EventContext]]], Awaitable[None]]


class EventConsumer:
    """One consumer group (named after the consuming service) and its handlers per event type.

    Inbox rows (processed_at) and dead letters (failed_at) are stamped by the service's
    `clock`; retry pauses are intervals, not business time, and use the event loop.
    """

    def __init__(
        self,
        *,
        name: str,
        broker: KafkaBroker,
        sessionmaker: async_sessionmaker[AsyncSession],
        inbox: Table,
        settings: ServiceSettings,
        metrics: ServiceMetrics,
        clock: Clock,
    ) -> None:
        self.name = name
        self._broker = broker
        self._sessionmaker = sessionmaker
        self._inbox = inbox
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._dlq = DeadLetterWriter(
            broker=broker, consumer=name, metrics=metrics, settings=settings
        )
        self.topics: set[str] = set()

    def handles(self, model: type[E]) -> Callable[[Handler], Handler]:
        """Decorator: register `fn(event, ctx)` for an event type. The wrapper opens the
        transaction, records the inbox row and commits; the handler only applies the effect."""

        def register(fn: Handler) -> Handler:
            self._handlers[model.event_type] = (model, fn)
            self._batch_handlers.pop(model.event_type, None)  # the latest registration wins
            self.topics.add(model.topic)
            return fn

        return register

    def handles_many(self, model: type[E]) -> Callable[[BatchHandler], BatchHandler]:
        """Decorator: register a set-based `fn([(event, ctx), …])` for an event type; a batch's
        consecutive events of that type are applied in one call (one statement for all of
        them instead of one per event). Retries one by one call it with one-element lists."""

        def register(fn: BatchHandler) -> BatchHandler:
            async def one(event_: Any, ctx: EventContext) -> None:
                await fn([(event_, ctx)])

            self._handlers[model.event_type] = (model, one)
            self._batch_handlers[model.event_type] = fn
            self.topics.add(model.topic)
            return fn

        return register

    def models_by_topic(self) -> dict[str, tuple[type[Event], ...]]:
        """The event types this consumer applies, per topic (for the AsyncAPI documents)."""
        models: dict[str, tuple[type[Event], ...]] = {}
        for event_type in sorted(self._handlers):
            model = self._handlers[event_type][0]
            models[model.topic] = (*models.get(model.topic, ()), model)
        return models

    def subscribe(self) -> None:
        """Attach one FastStream subscriber over all handled topics, with manual acknowledgement.

        Why one subscriber: each subscriber is its own member of the group, and every member
        that joins triggers another rebalance; one member per process joins once.
        """
        if not self.topics:
            return
        types = sorted(self._handlers)
        offsets_check = CommittedOffsetsCheck(consumer=self.name, metrics=self._metrics)
        subscriber = manual_ack_subscriber(
            self._broker,
            sorted(self.topics),
            group_id=self.name,
            batch_size=self._settings.consumer_batch_size,
            batch_timeout_ms=self._settings.consumer_batch_timeout_ms,
            session_timeout_ms=self._settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self._settings.consumer_heartbeat_interval_ms,
            listener=offsets_check,
            title=f"{self.name}:consumer",
            description=f"{self.name} consumes {', '.join(types)}",
        )
        offsets_check.subscriber = subscriber
        subscriber(self._on_records)

    async def _on_records(self, body: Any, msg: Message) -> None:
        records = records_of(msg)
        await self.process_batch(records)
        await _commit(msg, records)
        # the message's `consumer`, like its subscriber's, is the running aiokafka consumer
        # (see commit_past); None under TestKafkaBroker's fake
        client = running_consumer(msg)
        if client is not None:
            await self.record_lag(client)

    async def record_lag(self, client: KafkaConsumer, timeout_s: float = 0.5) -> dict[str, int]:
        """Set `psm_consumer_lag` per handled topic and return it: over this member's
        assigned partitions, the log end (aiokafka's `highwater`, cached from the last fetch
        response) minus the position (the next record it hands out; after the batch's commit,
        the committed offset). A partition not fetched yet (no highwater) is skipped; a topic
        with no partition assigned here counts 0 (another member of the group reports it).

        Why it never holds the batch loop up: no broker round trip, `position` answers at once
        for a fetched partition, and the whole is bounded by `timeout_s`; a failure (e.g. a
        partition revoked meanwhile) leaves the previous values. Not set on idle polls: the
        handler only runs for a non-empty batch, and the last batch already left 0 behind.
        """
        lag = dict.fromkeys(self.topics, 0)
        try:
            async with asyncio.timeout(timeout_s):
                for tp in client.assignment():
                    end = client.highwater(tp)
                    if end is None or tp.topic not in lag:
                        continue
                    position = await client.position(tp)
                    lag[tp.topic] += max(int(end) - int(position), 0)
        except Exception as exc:  # a diagnostic never fails the batch
            log.debug("consumer lag not measured", consumer=self.name, error=describe_error(exc))
            return {}
        for topic, n in lag.items():
            self._metrics.consumer_lag.labels(self.name, topic).set(n)
        return lag

    async def process(self, record: Record) -> str:
        """Apply one record; returns the outcome. Never raises (except on cancellation)."""
        return (await self.process_batch([record]))[0]

    async def process_batch(self, records: list[Record]) -> list[str]:
        """Apply records in one transaction; if that fails, one by one with retries and DLQ.

        Why a batch: one transaction and one offset commit for hundreds of events is what
        lets the bulk import of a whole province flow through; the fallback keeps the
        per-event guarantees (bounded retries, dead letters) when any event in it fails.

        Metrics count every event (added up per batch); the log has one line per batch
        with its outcomes, and one line per event at DEBUG when `log_each_event` is set.
        """
        outcomes: list[str] = ["ignored"] * len(records)
        types: list[str] = ["?"] * len(records)
        envelopes: list[Envelope | None] = [None] * len(records)
        ready: list[tuple[int, Record, Envelope, Event, Handler]] = []
        now = self._clock.now()
        for i, record in enumerate(records):
            prepared = await self._prepare(record, now)
            if isinstance(prepared, str):
                outcomes[i] = prepared
                continue
            envelope, event_, handler = prepared
            types[i], envelopes[i] = envelope.event_type, envelope
            if event_ is not None and handler is not None:
                ready.append((i, record, envelope, event_, handler))
        if ready:
            try:
                applied = await self._apply_all(ready)
            except Exception as exc:
                if len(ready) > 1:
                    log.warning(
                        "batch failed; applying its events one by one",
                        size=len(ready),
                        error=describe_error(exc),
                    )
                for i, record, envelope, event_, handler in ready:
                    with _bound(record, envelope):
                        outcomes[i] = await self._apply_with_retries(
                            record, envelope, event_, handler
                        )
            else:
                for (i, *_), outcome in zip(ready, applied, strict=True):
                    outcomes[i] = outcome
        self._count(records, envelopes, types, outcomes)
        return outcomes

    async def _prepare(
        self, record: Record, now: datetime
    ) -> str | tuple[Envelope, Event | None, Handler | None]:
        """Decode a record, or settle it at once (dead letter) if it cannot apply; an event
        type this consumer does not handle comes back without event and handler (ignored).

        Why the log context is bound only on the dead-letter paths: binding and unbinding
        it costs more than decoding the record, and only those paths log on its behalf.
        """
        try:
            envelope = Envelope.from_headers(record.headers or (), now=now)
        except EnvelopeError as exc:
            with _bound(record, None):
                return await self._dead_letter(record, "bad_envelope", exc, 1, "?")
        registered = self._handlers.get(envelope.event_type)
        if registered is None:
            return envelope, None, None
        model, handler = registered
        try:
            return envelope, model.model_validate_json(record.value or b""), handler
        except ValidationError as exc:
            with _bound(record, envelope):
                return await self._dead_letter(
                    record, "invalid_payload", exc, 1, envelope.event_type
                )

    async def _apply_all(
        self, ready: list[tuple[int, Record, Envelope, Event, Handler]]
    ) -> list[str]:
        # Why one transaction: inbox rows and effects commit together, so a crash leaves all
        # or none of them; a redelivered event is then skipped or applied, never both.
        results: list[str] = []
        async with self._sessionmaker() as session, session.begin():
            # One statement claims the whole batch; an event id seen twice in the batch is
            # a duplicate from its second occurrence on.
            distinct: dict[Any, Envelope] = {}
            for _, _, envelope, _, _ in ready:
                distinct.setdefault(envelope.event_id, envelope)
            fresh = await claim_many(
                session,
                self._inbox,
                consumer=self.name,
                envelopes=list(distinct.values()),
                now=self._clock.now(),
            )
            batch_handlers = self._batch_handlers
            run: list[tuple[Any, EventContext]] = []
            run_type: str | None = None
            for _, record, envelope, event_, handler in ready:
                if envelope.event_id not in fresh:
                    results.append("duplicate")
                    continue
                fresh.discard(envelope.event_id)
                ctx = EventContext(session, envelope, record.topic, record.partition, record.offset)
                if run and run_type != envelope.event_type:
                    await batch_handlers[run_type](run)  # type: ignore[index]
                    run = []
                batch_handler = batch_handlers.get(envelope.event_type)
                if batch_handler is not None:
                    run.append((event_, ctx))
                    run_type = envelope.event_type
                else:
                    # one event's handler: its log lines and staged events carry its context
                    with _bound(record, envelope):
                        await handler(event_, ctx)
                results.append("applied")
            if run:
                await batch_handlers[run_type](run)  # type: ignore[index]
        return results

    async def _apply_with_retries(
        self,
        record: Record,
        envelope: Envelope,
        event_: Event,
        handler: Handler,
    ) -> str:
        attempts = self._settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                outcome = (await self._apply_all([(0, record, envelope, event_, handler)]))[0]
            except PermanentError as exc:
                return await self._dead_letter(
                    record, "rejected", exc, attempt, envelope.event_type
                )
            except Exception as exc:
                if attempt == attempts:
                    return await self._dead_letter(
                        record, "retries_exhausted", exc, attempt, envelope.event_type
                    )
                self._metrics.handler_retries.labels(self.name, envelope.event_type).inc()
                delay = backoff(
                    attempt,
                    self._settings.consumer_retry_backoff_s,
                    self._settings.consumer_retry_backoff_max_s,
                )
                log.warning(
                    "handler failed, will retry",
                    attempt=attempt,
                    error=describe_error(exc),
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
                continue
            return outcome
        raise AssertionError("unreachable")

    def _count(
        self,
        records: list[Record],
        envelopes: list[Envelope | None],
        types: list[str],
        outcomes: list[str],
    ) -> None:
        """Metrics for every event of a batch (dead letters are counted when sent), one log
        line for the batch (outcomes, correlation ids), and one per applied or duplicate
        event at DEBUG."""
        tally = Counter(zip(types, outcomes, strict=True))
        for (event_type, outcome), n in tally.items():
            if outcome == "dead_lettered":
                continue
            self._metrics.events_handled.labels(self.name, event_type, outcome).inc(n)
            if outcome == "duplicate":
                self._metrics.inbox_duplicates.labels(self.name, event_type).inc(n)
        if not records:
            return
        if self._settings.log_each_event and is_enabled_for(log, logging.DEBUG):
            for record, envelope, outcome in zip(records, envelopes, outcomes, strict=True):
                if envelope is not None and outcome in ("applied", "duplicate"):
                    log.debug(
                        "event " + outcome,
                        event_type=envelope.event_type,
                        event_id=str(envelope.event_id),
                        correlation_id=envelope.correlation_id,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                    )
        # the requests behind the batch, so that a request can still be followed into every
        # consumer at INFO (a bulk import's events share one)
        correlation_ids = {e.correlation_id: None for e in envelopes if e and e.correlation_id}
        log.info(
            "events handled",
            consumer=self.name,
            events=len(records),
            correlation_ids=list(correlation_ids),
            **Counter(outcomes),
        )

    async def _dead_letter(
        self,
        record: Record,
        reason: str,
        exc: BaseException,
        attempts: int,
        event_type: str,
    ) -> str:
        await self._dlq.send(
            record, reason=reason, error=exc, attempts=attempts, now=self._clock.now()
        )
        self._metrics.events_handled.labels(self.name, event_type, "dead_lettered").inc()
        return "dead_lettered"


@contextlib.contextmanager
def _bound(record: Record, envelope: Envelope | None) -> Iterator[None]:
    """Log context and correlation id of one record, for everything done on its behalf."""
    structlog.contextvars.bind_contextvars(
        topic=record.topic, partition=record.partition, offset=record.offset
    )
    token = None
    if envelope is not None:
        structlog.contextvars.bind_contextvars(
            event_id=str(envelope.event_id), correlation_id=envelope.correlation_id
        )
        token = correlation_id_var.set(envelope.correlation_id)
    try:
        yield
    finally:
        if token is not None:
            correlation_id_var.reset(token)
        structlog.contextvars.unbind_contextvars(
            "topic", "partition", "offset", "event_id", "correlation_id"
        )


async def _commit(msg: Message, records: list[Record]) -> None:
    """Commit exactly the handled records' offsets; a failure only means redelivery."""
    try:
        await commit_past(msg, records)
    except Exception as exc:  # e.g. a rebalance: the records come back and the inbox skips them
        log.warning("offset commit failed; records will be redelivered", error=describe_error(exc))
