"""Each assumption of shared/faststream_adapter.py about FastStream and aiokafka, pinned.

One test per assumption, named after it, on a real Apache Kafka node (one for the module,
each test with its own topic and group). When an upgrade of FastStream or aiokafka changes
one of these behaviours, the failing test names it before a delivery goes wrong.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker as FastStreamBroker

from shared import faststream_adapter as adapter
from tests.support import eventually, read_topic
from tools.broker import QUICK_START_JVM, KafkaBroker

pytestmark = pytest.mark.broker
_names = itertools.count()


@pytest.fixture(scope="module")
def kafka() -> Iterator[KafkaBroker]:
    """One node for the module: every test uses its own topic and consumer group."""
    node = KafkaBroker(jvm_options=QUICK_START_JVM).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
async def admin(kafka: KafkaBroker) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def topic(admin: AIOKafkaAdminClient) -> str:
    """A fresh topic with two partitions."""
    name = f"adapter-{next(_names)}"
    await adapter.create_topics(admin, [NewTopic(name, 2, 1)])
    await eventually(
        lambda: _partitions(admin, name), message=f"{name} has its partitions in the metadata"
    )
    return name


async def _partitions(admin: AIOKafkaAdminClient, name: str) -> bool:
    return (await adapter.describe_topics(admin, [name])).get(name, (0, 0))[1] == 2


async def _produce(bootstrap: str, topic: str, values: list[bytes], *, key: bytes = b"k") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, headers=[("ce_id", b"1")])
    finally:
        await producer.stop()


class Listener(adapter.RebalanceListener):  # type: ignore[misc]
    """Records what it saw when partitions were assigned."""

    def __init__(self) -> None:
        self.subscriber: Any = None
        self.assigned: list[set[adapter.TopicPartition]] = []
        self.consumer_during_assignment: Any = None

    async def on_partitions_revoked(self, revoked: set[adapter.TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: set[adapter.TopicPartition]) -> None:
        await asyncio.sleep(0)  # an awaiting listener, as CommittedOffsetsCheck is
        self.consumer_during_assignment = adapter.running_consumer(self.subscriber)
        self.assigned.append(set(assigned))


Handle = Callable[[list[adapter.Record], adapter.Message], Awaitable[None]]


async def _consume(
    bootstrap: str,
    topic: str,
    *,
    expect: int,
    batch_size: int = 10,
    handle: Handle | None = None,
    listener: Listener | None = None,
) -> tuple[list[list[adapter.Record]], list[Any]]:
    """Run a manual-ack subscriber until `expect` records were handled; returns the record
    lists the handler got and the bodies FastStream passed along."""
    broker = FastStreamBroker(bootstrap)
    listener = listener or Listener()
    subscriber = adapter.manual_ack_subscriber(
        broker,
        [topic],
        group_id=f"group-{topic}",
        batch_size=batch_size,
        batch_timeout_ms=200,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
        listener=listener,
        title="test:consumer",
        description="test",
    )
    listener.subscriber = subscriber
    batches: list[list[adapter.Record]] = []
    bodies: list[Any] = []

    async def on_message(body: Any, msg: adapter.Message) -> None:
        records = adapter.records_of(msg)
        bodies.append(body)
        batches.append(records)
        if handle is not None:
            await handle(records, msg)

    subscriber(on_message)
    await broker.start()
    try:
        await eventually(
            lambda: _count(batches, expect), timeout=30, message=f"{expect} records handled"
        )
    finally:
        await broker.stop()
    return batches, bodies


async def _count(batches: list[list[adapter.Record]], expect: int) -> bool:
    return sum(len(b) for b in batches) >= expect


async def _committed(bootstrap: str, topic: str) -> dict[int, int | None]:
    """The group's committed offset per partition, read by a client outside the group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=f"group-{topic}", enable_auto_commit=False
    )
    await consumer.start()
    try:
        return {p: await consumer.committed(adapter.TopicPartition(topic, p)) for p in (0, 1)}
    finally:
        await consumer.stop()


async def test_a_batch_subscriber_receives_the_raw_aiokafka_records(kafka, topic):
    await _produce(kafka.bootstrap, topic, [b"a", b"b", b"c"])
    batches, _ = await _consume(kafka.bootstrap, topic, expect=3)
    records = [r for batch in batches for r in batch]
    assert [r.value for r in records] == [b"a", b"b", b"c"]
    first = records[0]
    assert first.topic == topic and first.partition in (0, 1)
    assert [r.offset for r in records] == [0, 1, 2]
    assert first.key == b"k"
    assert list(first.headers) == [("ce_id", b"1")]
    assert isinstance(first.timestamp, int) and first.timestamp > 0


async def test_a_single_record_subscriber_receives_one_raw_record_per_call(kafka, topic):
    await _produce(kafka.bootstrap, topic, [b"a", b"b"])
    batches, _ = await _consume(kafka.bootstrap, topic, expect=2, batch_size=1)
    assert [[r.value for r in b] for b in batches] == [[b"a"], [b"b"]]


async def test_a_body_that_is_not_json_reaches_the_handler_undecoded(kafka, topic):
    await _produce(kafka.bootstrap, topic, [b"{not json"])
    _, single = await _consume(kafka.bootstrap, topic, expect=1, batch_size=1)
    assert single == [b"{not json"]


async def test_the_manual_ack_policy_commits_nothing_on_its_own(kafka, topic):
    async def fail_on_the_second(records: list[adapter.Record], msg: adapter.Message) -> None:
        if any(r.value == b"b" for r in records):
            raise RuntimeError("a handler that raises")

    await _produce(kafka.bootstrap, topic, [b"a", b"b"])
    await _consume(kafka.bootstrap, topic, expect=2, batch_size=1, handle=fail_on_the_second)
    assert await _committed(kafka.bootstrap, topic) == {0: None, 1: None}


async def test_committing_through_the_adapter_moves_the_group_offset_past_the_batch(kafka, topic):
    async def commit(records: list[adapter.Record], msg: adapter.Message) -> None:
        await adapter.commit_past(msg, records)

    await _produce(kafka.bootstrap, topic, [b"a", b"b", b"c"])
    batches, _ = await _consume(kafka.bootstrap, topic, expect=3, handle=commit)
    partition = batches[0][0].partition
    assert (await _committed(kafka.bootstrap, topic))[partition] == 3


async def test_a_commit_covers_only_the_records_given_not_everything_fetched(kafka, topic):
    async def commit_the_first_two(records: list[adapter.Record], msg: adapter.Message) -> None:
        assert len(records) == 4, "the batch holds all four records"
        await adapter.commit_past(msg, records[:2])

    await _produce(kafka.bootstrap, topic, [b"a", b"b", b"c", b"d"])
    batches, _ = await _consume(kafka.bootstrap, topic, expect=4, handle=commit_the_first_two)
    partition = batches[0][0].partition
    assert (await _committed(kafka.bootstrap, topic))[partition] == 2


async def test_the_rebalance_listener_is_awaited_with_the_running_consumer_before_records(
    kafka, topic
):
    listener = Listener()

    async def assigned_before(records: list[adapter.Record], msg: adapter.Message) -> None:
        assert listener.assigned, "the assignment came before the first record"

    await _produce(kafka.bootstrap, topic, [b"a"])
    await _consume(kafka.bootstrap, topic, expect=1, handle=assigned_before, listener=listener)
    assert listener.assigned[0] == {adapter.TopicPartition(topic, p) for p in (0, 1)}
    assert isinstance(listener.consumer_during_assignment, AIOKafkaConsumer)


async def test_log_positions_report_the_groups_committed_offset_and_the_log_end(kafka, topic):
    async def commit_then_look(records: list[adapter.Record], msg: adapter.Message) -> None:
        await adapter.commit_past(msg, records[:1])
        tp = adapter.TopicPartition(topic, records[0].partition)
        positions.update(await adapter.log_positions(msg.consumer, {tp}))

    positions: dict[adapter.TopicPartition, tuple[int | None, int | None]] = {}
    await _produce(kafka.bootstrap, topic, [b"a", b"b"])
    batches, _ = await _consume(kafka.bootstrap, topic, expect=2, handle=commit_then_look)
    tp = adapter.TopicPartition(topic, batches[0][0].partition)
    assert positions == {tp: (1, 2)}


async def test_an_enqueued_record_is_acknowledged_through_its_future(kafka, topic):
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        future = await adapter.enqueue(producer, topic, b"k", b"v", {"ce_type": "t"})
        metadata = await asyncio.wait_for(future, 10)
    finally:
        await producer.stop()
    assert metadata.topic == topic and metadata.offset == 0
    (record,) = await read_topic(kafka.bootstrap, topic, expect=1)
    assert (record.key, record.value, list(record.headers)) == (b"k", b"v", [("ce_type", b"t")])


async def test_a_confirmed_publish_returns_after_the_broker_stored_the_record(kafka, topic):
    broker = FastStreamBroker(kafka.bootstrap, acks="all")
    await broker.start()
    try:
        await adapter.publish_confirmed(broker, b"v", topic=topic, key=b"k", headers={"a": "b"})
    finally:
        await broker.stop()
    (record,) = await read_topic(kafka.bootstrap, topic, expect=1, timeout=5)
    assert (record.value, ("a", b"b") in list(record.headers)) == (b"v", True)


async def test_refreshing_metadata_shows_a_topic_created_after_the_consumer_started(kafka, admin):
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        name = f"adapter-{next(_names)}"
        await adapter.create_topics(admin, [NewTopic(name, 2, 1)])
        await eventually(lambda: _partitions(admin, name), message=f"{name} is described")
        assert consumer.partitions_for_topic(name) is None, "the consumer's metadata is stale"
        assert await adapter.refresh_metadata(consumer) is True
        assert consumer.partitions_for_topic(name) == {0, 1}
    finally:
        await consumer.stop()


async def test_creating_an_existing_topic_reports_topic_already_exists_per_topic(admin, topic):
    errors = await adapter.create_topics(admin, [NewTopic(topic, 2, 1)])
    assert [(name, code) for name, code, _ in errors] == [(topic, adapter.TOPIC_ALREADY_EXISTS)]


async def test_describing_topics_reports_partitions_and_unknown_topic_for_a_missing_one(
    admin, topic
):
    described = await adapter.describe_topics(admin, [topic, "adapter-never-created"])
    assert described[topic] == (0, 2)
    assert described["adapter-never-created"][0] == adapter.UNKNOWN_TOPIC_OR_PARTITION


def test_a_subscriber_is_not_running_before_its_broker_starts():
    broker = FastStreamBroker("127.0.0.1:9")
    subscriber = adapter.manual_ack_subscriber(
        broker,
        ["t"],
        group_id="g",
        batch_size=1,
        batch_timeout_ms=200,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
        listener=Listener(),
        title="t",
        description="t",
    )
    assert adapter.running_consumer(subscriber) is None
