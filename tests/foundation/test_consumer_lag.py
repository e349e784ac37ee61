"""`psm_consumer_lag` on the real broker: a group that has not read a topic yet reports the
records waiting for it, and 0 once it has handled and committed them all."""

from __future__ import annotations

from typing import Any

import pytest

from services.training.db.tables import KnownVolunteer
from shared.consumer import EventConsumer
from shared.events.registry import VOLUNTEERS_TOPIC
from shared.kafka import ensure_topics
from tests.foundation.helpers import RawProducer, registered_event
from tests.support import eventually, migrate, running, settings_for

pytestmark = pytest.mark.broker

EVENTS = 10
BATCH = 3


async def test_consumer_lag_counts_the_unread_records_and_falls_to_zero_once_consumed(
    broker, database_url, monkeypatch: pytest.MonkeyPatch
):
    await migrate("training", database_url)
    settings = settings_for(
        "training", database_url=database_url, bootstrap=broker.bootstrap, consumer_batch_size=BATCH
    )
    measured: list[dict[str, int]] = []
    record_lag = EventConsumer.record_lag

    async def spy(self: EventConsumer, client: Any, timeout_s: float = 0.5) -> dict[str, int]:
        lag = await record_lag(self, client, timeout_s)
        measured.append(lag)
        return lag

    monkeypatch.setattr(EventConsumer, "record_lag", spy)
    await ensure_topics(settings, {VOLUNTEERS_TOPIC: settings.topic_partitions})
    first = registered_event()
    events = [first] + [registered_event() for _ in range(EVENTS - 1)]
    async with RawProducer(broker.bootstrap) as producer:
        for e in events:  # one key, one partition: every batch but the last leaves some behind
            await producer.send_event(e, key=first.key())

    async with running("training", settings) as tr:
        rt = tr.runtime

        async def last_applied() -> KnownVolunteer | None:
            async with rt.read_sessionmaker() as s:
                return await s.get(KnownVolunteer, events[-1].volunteer_id)

        await eventually(last_applied, message="the last event applied")

        def lag() -> float | None:
            return rt.metrics.registry.get_sample_value(
                "psm_consumer_lag", {"consumer": "training", "topic": VOLUNTEERS_TOPIC}
            )

        await eventually(lambda: _is(lag(), 0.0), message="lag back to 0 after the last batch")

    volunteers = [m[VOLUNTEERS_TOPIC] for m in measured if VOLUNTEERS_TOPIC in m]
    assert volunteers, "no batch measured the lag"
    # the first batch took at most BATCH of the EVENTS the fetch saw on the partition
    assert volunteers[0] >= EVENTS - BATCH
    assert volunteers[-1] == 0
    assert volunteers == sorted(volunteers, reverse=True)


async def _is(value: float | None, expected: float) -> bool:
    return value == expected
