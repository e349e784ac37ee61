"""Outbox relay: publishes committed outbox rows, marking them only after Kafka acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import Row, Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.events.envelope import Envelope
from shared.kafka import missing_or_mismatched_topics
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.pii import redact_text
from shared.settings import ServiceSettings

#: sends one record and returns a future resolved when the broker acknowledged it
SendFn = Callable[[str, bytes, bytes, dict[str, str]], Awaitable["asyncio.Future[Any]"]]

log = get_logger("shared.relay")


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    return float(min(cap, base * (2 ** max(0, attempt - 1))))


class OutboxRelay:
    """Publishes pending rows in id order, by key, with acks=all.

    There is no "last published id" cursor: every pass selects all unpublished rows, so a
    row whose transaction committed late (with a lower id than rows already published) is
    still found. On PostgreSQL rows are locked with SKIP LOCKED, so several relays of one
    service may run; on SQLite one relay per service runs (a single process owns the file).
    Business time (published_at, next_attempt_at, backlog age, retention) comes from the
    service's `clock`; only the loop's pacing uses the event loop's monotonic time.
    """

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        read_sessionmaker: async_sessionmaker[AsyncSession],
        outbox: Table,
        send: SendFn,
        settings: ServiceSettings,
        metrics: ServiceMetrics,
        clock: Clock,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._read_sessionmaker = read_sessionmaker
        self._outbox = outbox
        self._send = send
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_gauge_update = 0.0
        self._last_cleanup = 0.0
        #: per topic: (rows that failed, error type) in the current pass, explained after it
        self._failed: dict[str, tuple[int, str]] = {}

    def notify(self) -> None:
        """Wake the relay (called after a commit that staged events). Thread-unsafe by design."""
        self._wake.set()

    def start(self) -> None:
        """Run the relay loop as a background task."""
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self, *, flush_timeout: float = 5.0) -> None:
        """Stop the loop, then try one last flush so staged events leave with the process."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(self.publish_pending(), flush_timeout)

    async def run(self) -> None:
        """Publish until stopped; a failed pass is retried with backoff, never skipped."""
        failures = 0
        while not self._stopping:
            try:
                published = await self.publish_pending()
                failures = 0
                await self._housekeeping()
            except Exception as exc:  # any failure: nothing was marked, retry after a pause
                failures += 1
                delay = backoff(
                    failures,
                    self._settings.relay_poll_interval_s,
                    self._settings.relay_backoff_max_s,
                )
                log.warning(
                    "relay pass failed", error=redact_text(repr(exc))[:300], retry_in_s=delay
                )
                await asyncio.sleep(delay)
                continue
            if published < self._settings.relay_batch_size:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._settings.relay_poll_interval_s)
        self._wake.clear()

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of due rows; returns how many were acknowledged."""
        self._failed = {}
        try:
            return await self._publish_pass()
        finally:
            if self._failed:
                await self._explain_failures(self._failed)

    async def _publish_pass(self) -> int:
        if self._is_postgres():
            async with self._sessionmaker() as session, session.begin():
                rows = await self._select_due(session, lock=True)
                if not rows:
                    return 0
                results = await self._publish(rows)
                return await self._mark(session, rows, results)
        async with self._read_sessionmaker() as session:
            rows = await self._select_due(session, lock=False)
        if not rows:
            return 0
        results = await self._publish(rows)
        async with self._sessionmaker() as session, session.begin():
            return await self._mark(session, rows, results)

    def _is_postgres(self) -> bool:
        return not self._settings.is_sqlite

    async def _select_due(self, session: AsyncSession, *, lock: bool) -> Sequence[Row[Any]]:
        o = self._outbox
        now = self._clock.now()
        stmt = (
            select(o)
            .where(o.c.published_at.is_(None))
            .where(or_(o.c.next_attempt_at.is_(None), o.c.next_attempt_at <= now))
            .order_by(o.c.id)
            .limit(self._settings.relay_batch_size)
        )
        if lock:
            stmt = stmt.with_for_update(skip_locked=True)
        return (await session.execute(stmt)).all()

    async def _publish(self, rows: Sequence[Row[Any]]) -> list[BaseException | None]:
        """Send every row, then wait for all acknowledgements; one result per row."""
        results: list[BaseException | None] = []
        futures: list[asyncio.Future[Any] | None] = []
        send_error: BaseException | None = None
        for row in rows:
            if send_error is not None:  # broker unreachable: do not wait a timeout per row
                futures.append(None)
                results.append(send_error)
                continue
            try:
                futures.append(
                    await asyncio.wait_for(
                        self._send(
                            row.topic, row.key.encode(), row.payload.encode(), _headers(row)
                        ),
                        self._settings.relay_publish_timeout_s,
                    )
                )
                results.append(None)
            except Exception as exc:
                send_error = exc
                futures.append(None)
                results.append(exc)
        pending = {f for f in futures if f is not None}
        if pending:
            # A future still unresolved at the deadline counts as not published: the row
            # stays pending and is sent again (a late acknowledgement then means a duplicate
            # on the topic, which every consumer's inbox absorbs).
            await asyncio.wait(pending, timeout=self._settings.relay_publish_timeout_s)
            for i, f in enumerate(futures):
                if f is None:
                    continue
                if not f.done():
                    results[i] = TimeoutError("no acknowledgement from the broker in time")
                elif f.cancelled():
                    results[i] = asyncio.CancelledError()
                else:
                    results[i] = f.exception()
        return results

    async def _mark(
        self, session: AsyncSession, rows: Sequence[Row[Any]], results: list[BaseException | None]
    ) -> int:
        o = self._outbox
        now = self._clock.now()
        ok_ids = [row.id for row, err in zip(rows, results, strict=True) if err is None]
        for chunk in _chunks(ok_ids, 500):
            await session.execute(update(o).where(o.c.id.in_(chunk)).values(published_at=now))
        for row, err in zip(rows, results, strict=True):
            if err is None:
                self._metrics.outbox_published.labels(row.topic).inc()
                continue
            self._metrics.outbox_failures.labels(row.topic).inc()
            rows_failed, _ = self._failed.get(row.topic, (0, ""))
            self._failed[row.topic] = (rows_failed + 1, type(err).__name__)
            delay = backoff(
                row.attempts + 1,
                self._settings.relay_poll_interval_s,
                self._settings.relay_backoff_max_s,
            )
            await session.execute(
                update(o)
                .where(o.c.id == row.id)
                .values(
                    attempts=o.c.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=delay),
                    last_error=redact_text(f"{type(err).__name__}: {err}")[:500],
                )
            )
        return len(ok_ids)

    async def _explain_failures(self, failed: dict[str, tuple[int, str]]) -> None:
        """Log a pass's failures per topic, and name a topic the broker does not know.

        Why ask the broker: a produce to an unknown topic (a broker that lost its log,
        auto-creation off) fails with a metadata timeout that looks like an unreachable
        broker. The rows stay pending either way; the relay never creates topics (start-up
        or the operator does: `python -m tools.cli topics create`).
        """
        problems: dict[str, str] = {}
        with contextlib.suppress(Exception):  # broker unreachable: the plain warning says it
            problems = await missing_or_mismatched_topics(
                self._settings,
                {t: self._settings.topic_partitions for t in failed},
                timeout_s=min(3.0, self._settings.relay_publish_timeout_s),
            )
        for topic, (rows, error) in sorted(failed.items()):
            problem = problems.get(topic)
            if problem == "missing":
                log.error(
                    "topic unknown to the broker; its outbox rows stay pending",
                    topic=topic,
                    rows=rows,
                    error=error,
                )
            else:
                log.warning(
                    "relay publish failures", topic=topic, rows=rows, error=error, problem=problem
                )

    async def _housekeeping(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_gauge_update >= 2.0:
            self._last_gauge_update = loop.time()
            await self.update_backlog_gauges()
        if loop.time() - self._last_cleanup >= 300.0:
            self._last_cleanup = loop.time()
            await self.delete_published(
                older_than=timedelta(hours=self._settings.outbox_retention_hours)
            )

    async def update_backlog_gauges(self) -> None:
        """Set the pending-rows and oldest-pending-age gauges."""
        o = self._outbox
        async with self._read_sessionmaker() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(o.c.created_at)).where(o.c.published_at.is_(None))
                )
            ).one()
        self._metrics.outbox_pending.set(count)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age = (self._clock.now() - oldest).total_seconds() if oldest else 0.0
        self._metrics.outbox_oldest_age.set(max(0.0, age))

    async def delete_published(self, *, older_than: timedelta) -> int:
        """Delete rows published longer ago than `older_than`; returns how many."""
        o = self._outbox
        cutoff = self._clock.now() - older_than
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                delete(o).where(o.c.published_at.is_not(None)).where(o.c.published_at < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)


def _headers(row: Row[Any]) -> dict[str, str]:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return Envelope(
        event_id=row.event_id,
        event_type=row.event_type,
        source=row.source,
        schema_version=row.schema_version,
        time=created,
        correlation_id=row.correlation_id,
    ).to_headers()


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
