"""An example subscriber an agency runs against the PSM platform's public topics.

    python -m tools.subscriber --group bps.statistik --type volunteer-registered --region 32

It joins the agency's OWN consumer group (never a service's: that would steal the
service's messages), resumes from the group's committed offsets (or re-reads everything
with --from-beginning), keeps the events of the chosen types and region, validates each
payload against its published schema (the catalogue's pydantic models, equivalent to
docs/schemas/*.json), and prints one JSON line per event or POSTs it to a webhook.

Offsets are committed only after an event was printed or accepted by the webhook, so a
crash re-delivers (at least once): deduplicate on `event_id`.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition

from shared.events.catalog import EVENT_TYPES, TOPICS
from tools.subscriber_filters import (  # noqa: F401 - in_region, region_codes re-exported
    Filters,
    Stats,
    SubscriberError,
    check_group,
    in_region,
    interpret,
    region_codes,
)

Sink = Callable[[dict[str, Any]], Awaitable[None]]


def security_kwargs(
    security_protocol: str,
    sasl_mechanism: str,
    username: str | None,
    password: str | None,
    ca_file: str | None,
) -> dict[str, Any]:
    """aiokafka connection arguments for the agency's security settings."""
    if security_protocol == "PLAINTEXT":
        return {}
    kwargs: dict[str, Any] = {"security_protocol": security_protocol}
    if security_protocol.startswith("SASL"):
        kwargs |= {
            "sasl_mechanism": sasl_mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    if "SSL" in security_protocol:
        kwargs["ssl_context"] = ssl.create_default_context(cafile=ca_file)
    return kwargs


class _Positions(ConsumerRebalanceListener):  # type: ignore[misc]
    """Resume from the group's committed offsets, or (--from-beginning) seek each partition
    to its start the first time it is assigned to this process."""

    def __init__(self, *, from_beginning: bool) -> None:
        self.consumer: AIOKafkaConsumer | None = None
        self._done: set[TopicPartition] = set()
        self._from_beginning = from_beginning

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        fresh = [tp for tp in assigned if tp not in self._done]
        if fresh and self.consumer is not None and self._from_beginning:
            await self.consumer.seek_to_beginning(*fresh)
            self._done |= set(fresh)


async def consume(
    *,
    bootstrap: str,
    group: str,
    topics: list[str],
    sink: Sink,
    filters: Filters = Filters(),
    from_beginning: bool = False,
    max_events: int | None = None,
    idle_timeout_s: float | None = None,
    session_timeout_ms: int = 10_000,
    security: dict[str, Any] | None = None,
) -> Stats:
    """Read `topics` as consumer group `group` until `max_events` were delivered or nothing
    arrived for `idle_timeout_s` (counted from the first partition assignment)."""
    listener = _Positions(from_beginning=from_beginning)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=check_group(group),
        client_id=f"psm-subscriber-{group}",
        enable_auto_commit=False,
        # A new group starts at the beginning of each partition (never "latest").
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(100, session_timeout_ms // 10),
        **(security or {}),
    )
    listener.consumer = consumer
    stats = Stats()
    await consumer.start()
    try:
        consumer.subscribe(topics=topics, listener=listener)
        await _loop(consumer, sink, filters, stats, max_events, idle_timeout_s)
    finally:
        await consumer.stop()
    return stats


async def _loop(
    consumer: AIOKafkaConsumer,
    sink: Sink,
    filters: Filters,
    stats: Stats,
    max_events: int | None,
    idle_timeout_s: float | None,
) -> None:
    idle_since: float | None = None
    while max_events is None or stats.delivered < max_events:
        batch = await consumer.getmany(timeout_ms=200)
        if not batch:
            if consumer.assignment() and idle_since is None:
                idle_since = time.monotonic()
            idle_for = time.monotonic() - idle_since if idle_since is not None else 0.0
            if idle_timeout_s is not None and idle_for >= idle_timeout_s:
                return
            continue
        idle_since = None
        for tp, records in batch.items():
            handled = await _deliver(records, sink, filters, stats, max_events)
            if handled is not None:
                # Why after the sink: a record counts as consumed only once it was delivered.
                await consumer.commit({tp: handled + 1})


async def _deliver(
    records: list[ConsumerRecord[Any, Any]],
    sink: Sink,
    filters: Filters,
    stats: Stats,
    max_events: int | None,
) -> int | None:
    """Deliver records in order; returns the offset of the last one handled."""
    last = None
    for record in records:
        if max_events is not None and stats.delivered >= max_events:
            break
        line = interpret(record, filters, stats)
        if line is not None:
            await sink(line)
            stats.delivered += 1
        last = record.offset
    return last


def stdout_sink() -> Sink:
    """A sink that prints each event as one JSON line."""

    async def emit(line: dict[str, Any]) -> None:
        typer.echo(json.dumps(line, ensure_ascii=False, sort_keys=True))

    return emit


def webhook_sink(client: httpx.AsyncClient, url: str, *, attempts: int = 5) -> Sink:
    """POST each event as JSON; retry with backoff, then stop without committing it."""

    async def forward(line: dict[str, Any]) -> None:
        for attempt in range(1, attempts + 1):
            try:
                response = await client.post(url, json=line)
                if response.status_code < 300:
                    return
                error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            if attempt < attempts:
                await asyncio.sleep(min(0.2 * 2**attempt, 10.0))
        raise SubscriberError(f"webhook {url} refused event {line.get('event_id')}: {error}")

    return forward


def resolve_topics(topics: list[str], types: list[str]) -> list[str]:
    """The topics to read: those named, plus those of the event types named."""
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise SubscriberError(
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}"
        )
    if topics:
        return sorted(set(topics))
    if types:
        return sorted({EVENT_TYPES[t].topic for t in types})
    return sorted(TOPICS)


app = typer.Typer(help=__doc__, add_completion=False)


@app.command()
def main(
    group: Annotated[
        str, typer.Option(help="your agency's own consumer group, e.g. 'bps.statistik'")
    ],
    bootstrap: Annotated[str, typer.Option(envvar="PSM_KAFKA_BOOTSTRAP")] = "127.0.0.1:9092",
    topic: Annotated[
        list[str] | None, typer.Option(help="topic to read (repeatable); default: all public")
    ] = None,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="event type to keep (repeatable)")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="region code prefix to keep: '32' or '32.76'")
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="re-read every partition from its start")
    ] = False,
    webhook: Annotated[
        str | None, typer.Option(help="POST each event to this URL instead of printing it")
    ] = None,
    max_events: Annotated[int | None, typer.Option(help="stop after this many events")] = None,
    idle_timeout: Annotated[
        float | None, typer.Option(help="stop after this many seconds without records")
    ] = None,
    security_protocol: Annotated[
        str, typer.Option(envvar="PSM_KAFKA_SECURITY_PROTOCOL", help="PLAINTEXT or SASL_SSL")
    ] = "PLAINTEXT",
    sasl_mechanism: Annotated[str, typer.Option()] = "SCRAM-SHA-512",
    username: Annotated[str | None, typer.Option(envvar="PSM_KAFKA_USERNAME")] = None,
    password: Annotated[str | None, typer.Option(envvar="PSM_KAFKA_PASSWORD")] = None,
    ca_file: Annotated[str | None, typer.Option(help="CA bundle of the cluster (PEM)")] = None,
    session_timeout_ms: Annotated[int, typer.Option()] = 10_000,
) -> None:
    """Read the platform's events as your agency's consumer group."""
    try:
        topics = resolve_topics(topic or [], type_ or [])
        check_group(group)
        stats = asyncio.run(
            _run(
                bootstrap=bootstrap,
                group=group,
                topics=topics,
                filters=Filters(frozenset(type_ or []), region),
                from_beginning=from_beginning,
                webhook=webhook,
                max_events=max_events,
                idle_timeout_s=idle_timeout,
                session_timeout_ms=session_timeout_ms,
                security=security_kwargs(
                    security_protocol, sasl_mechanism, username, password, ca_file
                ),
            )
        )
    except SubscriberError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"delivered {stats.delivered}, filtered {stats.filtered}, invalid {stats.invalid}",
        err=True,
    )


async def _run(*, webhook: str | None, **kwargs: Any) -> Stats:
    if webhook is None:
        return await consume(sink=stdout_sink(), **kwargs)
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await consume(sink=webhook_sink(client, webhook), **kwargs)


if __name__ == "__main__":
    app()
