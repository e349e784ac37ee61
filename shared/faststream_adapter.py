"""Every assumption the platform makes about FastStream 0.7 and aiokafka 0.14, in one place.

The delivery guarantees (commit after the effect, exactly the handled offsets, dead letters
stored before the commit, topics checked rather than auto-created) rest on behaviour of
these two libraries that is partly undocumented: attributes of FastStream's message and
subscriber objects, the shape of aiokafka's admin responses. Each function below relies on
one such behaviour and says which in its docstring; `tests/shared/test_faststream_adapter.py`
pins each one with a test named after it, against a real Apache Kafka broker where the
behaviour is the broker's. After an upgrade of either library, that test module says what
broke before any delivery does. The rest of `shared/` reaches the two libraries only through
this module (apart from documented constructors: `KafkaBroker`, `AIOKafkaProducer`,
`AIOKafkaAdminClient`, `NewTopic`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, TypeAlias

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

__all__ = [
    "TOPIC_ALREADY_EXISTS",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "KafkaConsumer",
    "Message",
    "RebalanceListener",
    "Record",
    "TopicPartition",
    "commit_past",
    "create_topics",
    "describe_topics",
    "enqueue",
    "log_positions",
    "manual_ack_subscriber",
    "publish_confirmed",
    "raw_body",
    "records_of",
    "refresh_metadata",
    "running_consumer",
]

#: One record as aiokafka delivers it: `topic`, `partition`, `offset`, `key` and `value`
#: (bytes or None), `headers` (a sequence of `(str, bytes)` pairs), `timestamp` (ms).
Record: TypeAlias = ConsumerRecord
#: The message parameter of a FastStream handler: `Annotated[KafkaMessage, Context("message")]`,
#: so a handler parameter with this annotation receives the message, not a decoded body.
Message: TypeAlias = KafkaMessage
#: Base class of a rebalance listener handed to `manual_ack_subscriber`.
RebalanceListener: TypeAlias = ConsumerRebalanceListener
#: The aiokafka consumer FastStream runs under a subscriber.
KafkaConsumer: TypeAlias = AIOKafkaConsumer

#: Kafka protocol error codes (Apache Kafka's protocol guide, not aiokafka's).
UNKNOWN_TOPIC_OR_PARTITION = 3
TOPIC_ALREADY_EXISTS = 36


def manual_ack_subscriber(
    broker: KafkaBroker,
    topics: Iterable[str],
    *,
    group_id: str,
    batch_size: int,
    batch_timeout_ms: int,
    session_timeout_ms: int,
    heartbeat_interval_ms: int,
    listener: RebalanceListener,
    title: str,
    description: str,
) -> Any:
    """One subscriber of a consumer group over `topics` that never commits on its own.

    Relies on: `AckPolicy.MANUAL` turning aiokafka's auto-commit off and FastStream
    committing nothing after the handler returns or raises (every other policy commits at
    some point without us); `batch=True` with `max_records` handing the handler a tuple of
    up to that many records from one `getmany`; `listener=` reaching aiokafka's `subscribe`
    (wrapped by FastStream's logging listener, which awaits ours); `decoder=raw_body`
    replacing FastStream's JSON decoding. Returns the subscriber: call it with the handler.
    """
    batch = batch_size > 1
    return broker.subscriber(
        *topics,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=heartbeat_interval_ms,
        batch=batch,
        max_records=batch_size if batch else None,
        batch_timeout_ms=batch_timeout_ms,
        decoder=raw_body,
        title=title,
        description=description,
        listener=listener,
    )


async def raw_body(msg: Any) -> Any:
    """A decoder that hands the body over undecoded.

    Relies on: FastStream calling a one-parameter custom decoder with its `StreamMessage`,
    whose `body` is the record's bytes (a list of them for a batch). Why: FastStream's JSON
    decoding would fail on a malformed body before our wrapper runs, and a message failing
    there is skipped and lost instead of dead-lettered.
    """
    return msg.body


def records_of(msg: Message) -> list[Record]:
    """The aiokafka records behind a FastStream message, in delivery order.

    Relies on: `KafkaMessage.raw_message` being the `ConsumerRecord` itself (single
    subscriber) or a tuple of them (batch subscriber), undocumented but the only way to see
    each record's partition, offset and headers in a batch.
    """
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


def next_offsets(records: Iterable[Record]) -> dict[TopicPartition, int]:
    """Per partition, the offset to commit after `records`: the highest one + 1 (Kafka's
    committed offset is the next record to read)."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    return offsets


async def commit_past(msg: Message, records: Iterable[Record]) -> None:
    """Commit exactly `records`' offsets (+1), never 'everything fetched so far'.

    Relies on: `KafkaMessage.consumer` being the subscriber's running `AIOKafkaConsumer`
    (undocumented), whose `commit(offsets)` commits the given offsets synchronously for
    the group. FastStream's own `msg.ack()` commits the consumer's current position, which
    after a `getmany` may include records not handled yet. Under `TestKafkaBroker` the
    consumer is a fake with a plain `commit()`, called as is. Raises what aiokafka raises
    (e.g. `CommitFailedError` after a rebalance).
    """
    consumer = getattr(msg, "consumer", None)
    if isinstance(consumer, AIOKafkaConsumer):
        await consumer.commit(next_offsets(records))
    elif consumer is not None:
        await consumer.commit()


def running_consumer(subscriber: Any) -> AIOKafkaConsumer | None:
    """The aiokafka consumer of a started FastStream subscriber, or None before it starts.

    Relies on: the subscriber's `consumer` attribute (undocumented), set in `start()` before
    aiokafka joins the group, so it is there when the rebalance listener runs.
    """
    client = getattr(subscriber, "consumer", None)
    return client if isinstance(client, AIOKafkaConsumer) else None


async def refresh_metadata(client: AIOKafkaConsumer) -> bool:
    """Ask the broker for the cluster metadata now; True if it answered.

    Relies on: `AIOKafkaConsumer._client.force_metadata_update()` (private, undocumented),
    the only way to refresh the metadata `partitions_for_topic` answers from before its
    maximum age (5 minutes by default); it fetches the topics the consumer tracks, or all
    of them when it tracks none. For a topic created after the consumer started, or a
    broker that just came back and first answered without the topic.
    """
    updated = await client._client.force_metadata_update()
    return bool(updated)


async def log_positions(
    client: AIOKafkaConsumer, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, tuple[int | None, int | None]]:
    """{partition: (the group's committed offset or None, the log end offset or None)}.

    Relies on: `AIOKafkaConsumer.end_offsets` and `committed` answering inside a rebalance
    listener (aiokafka documents both; `committed` asks the group coordinator, so it sees
    commits of earlier members, not only this consumer's).
    """
    tps = sorted(partitions)
    ends = await client.end_offsets(tps)
    committed = await asyncio.gather(*(client.committed(tp) for tp in tps))
    return {tp: (c, ends.get(tp)) for tp, c in zip(tps, committed, strict=True)}


async def enqueue(
    producer: AIOKafkaProducer, topic: str, key: bytes, value: bytes, headers: dict[str, str]
) -> asyncio.Future[Any]:
    """Hand one record to the producer; the returned future resolves on acknowledgement.

    Relies on: `AIOKafkaProducer.send` returning once the record is in its batch
    accumulator, with a future that resolves after the broker acknowledged it with the
    producer's `acks` (or fails) — so many records can be in flight and awaited together.
    """
    future: asyncio.Future[Any] = await producer.send(
        topic, value=value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
    )
    return future


async def publish_confirmed(
    broker: KafkaBroker, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
) -> None:
    """Publish through FastStream and return only after the broker acknowledged.

    Relies on: `KafkaBroker.publish(..., no_confirm=False)` awaiting aiokafka's delivery
    future (with the broker's `acks`), so an exception means "not stored".
    """
    await broker.publish(value, topic=topic, key=key, headers=headers, no_confirm=False)


async def create_topics(
    admin: AIOKafkaAdminClient, topics: list[NewTopic]
) -> list[tuple[str, int, str | None]]:
    """Create topics; one `(name, error code, message)` per topic (0 = created).

    Relies on: `AIOKafkaAdminClient.create_topics` returning the raw CreateTopics response
    (undocumented), whose `topic_errors` lists one `(name, code, message)` per topic
    instead of raising, e.g. `TOPIC_ALREADY_EXISTS` for a topic that exists.
    """
    response = await admin.create_topics(topics)
    return [(str(t[0]), int(t[1]), t[2] if len(t) > 2 else None) for t in response.topic_errors]


async def describe_topics(
    admin: AIOKafkaAdminClient, names: list[str]
) -> dict[str, tuple[int, int]]:
    """{topic: (error code, partition count)} as the broker's metadata reports it.

    Relies on: `AIOKafkaAdminClient.describe_topics` returning the metadata response as a
    list of dicts (undocumented) with `topic`, `error_code` and `partitions`; a missing topic
    comes back with `UNKNOWN_TOPIC_OR_PARTITION` (auto-creation off), not an exception.
    """
    described = await admin.describe_topics(names)
    return {t["topic"]: (int(t["error_code"]), len(t["partitions"])) for t in described}
