"""A consumer group's committed offsets checked against the log end on every assignment."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.dead_letters import describe_error
from shared.faststream_adapter import (
    KafkaConsumer,
    RebalanceListener,
    TopicPartition,
    log_positions,
    running_consumer,
)
from shared.logging import get_logger
from shared.metrics import ServiceMetrics

log = get_logger("shared.offsets")


class CommittedOffsetsCheck(RebalanceListener):  # type: ignore[misc]
    """On every partition assignment, compare the group's committed offsets with the log end.

    Why: a committed offset beyond the log end means the broker lost records the group had
    already read (a wiped or restored log, a topic deleted and re-created). Kafka then
    quietly applies the reset policy (earliest here: the partition is read again from its
    start, and the inbox skips what was applied before); this says so, loudly: an error log
    line and `psm_consumer_offset_beyond_log_end_total`. Runs inside the rebalance, before
    any record of the new assignment is handled and committed, so the evidence is intact.
    """

    def __init__(self, *, consumer: str, metrics: ServiceMetrics, timeout_s: float = 5.0) -> None:
        self.consumer = consumer
        self.metrics = metrics
        self.timeout_s = timeout_s
        #: the FastStream subscriber, whose aiokafka consumer exists once it started
        self.subscriber: Any = None

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to check when partitions go."""
        return None

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Check the newly assigned partitions (see the class)."""
        client = running_consumer(self.subscriber)
        if not assigned or client is None:
            return
        await self.check(client, assigned)

    async def check(
        self, client: KafkaConsumer, partitions: set[TopicPartition]
    ) -> dict[TopicPartition, tuple[int, int]]:
        """{partition: (committed, log end)} for every partition committed beyond its end."""
        try:
            async with asyncio.timeout(self.timeout_s):
                positions = await log_positions(client, partitions)
        except Exception as exc:  # never fail a rebalance over a diagnostic
            log.warning(
                "could not compare committed offsets with the log end",
                consumer=self.consumer,
                error=describe_error(exc),
            )
            return {}
        beyond: dict[TopicPartition, tuple[int, int]] = {}
        for tp, (offset, end) in positions.items():
            if offset is None or end is None or offset <= end:
                continue
            beyond[tp] = (offset, end)
            self.metrics.consumer_offset_beyond_log_end.labels(
                self.consumer, tp.topic, str(tp.partition)
            ).inc()
            log.error(
                "committed offset beyond the log end: the broker lost records this group had "
                "read; reading the partition again from its earliest offset",
                consumer=self.consumer,
                topic=tp.topic,
                partition=tp.partition,
                committed_offset=offset,
                log_end_offset=end,
            )
        return beyond
