"""On the real broker: a dead letter carries only the allowed envelope headers, bounded;
an unknown header, an extension and an over-long value never reach the dead-letter topic."""

from __future__ import annotations

import json

import pytest

from shared.events.envelope import Envelope
from shared.events.registry import VOLUNTEERS_TOPIC
from tests.foundation.helpers import RawProducer, registered_event
from tests.support import eventually, migrate, read_topic, running, settings_for

pytestmark = pytest.mark.broker
DLQ = VOLUNTEERS_TOPIC + ".dlq"
PHONE, EMAIL = "081234567890", "siti.aminah@example.id"


@pytest.fixture
async def training_settings(broker, database_url):
    await migrate("training", database_url)
    return settings_for(
        "training", database_url=database_url, bootstrap=broker.bootstrap, consumer_max_attempts=3
    )


async def test_unknown_headers_and_over_long_values_do_not_reach_the_dead_letter(
    broker, training_settings
):
    async with (
        running("training", training_settings) as tr,
        RawProducer(broker.bootstrap) as producer,
    ):
        good = registered_event()
        envelope = Envelope(
            event_type="volunteer-registered", source="test", correlation_id="r" * 5000
        )
        headers = {
            **envelope.to_headers(),
            "ce_operatornote": f"telepon {PHONE}",  # an extension the platform does not define
            "x-contact": EMAIL,  # not an envelope header at all
        }
        await producer.send(
            VOLUNTEERS_TOPIC, key=good.key(), value=b'{"volunteer_id": "x"}', headers=headers
        )
        await producer.send_event(good)  # same key → same partition, behind the poison
        await eventually(
            lambda: _known(tr.runtime, good.volunteer_id), message="message after the poison"
        )

        [record] = await read_topic(broker.bootstrap, DLQ, expect=1)
        letter = json.loads(record.value)
        assert set(letter["envelope"]) == {
            "ce_specversion",
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_time",
            "ce_schemaversion",
            "ce_correlationid",
        }
        assert letter["envelope"]["ce_id"] == str(envelope.event_id)
        assert letter["envelope"]["ce_correlationid"] == "r" * 100
        assert letter["headers_left_out"] == 3  # the extension, x-contact, content-type
        names = {name for name, _ in record.headers}
        assert not {"ce_operatornote", "x-contact"} & names
        assert all(len(value) <= 100 for _, value in record.headers)
        raw = record.value.decode() + str(record.headers)
        assert PHONE not in raw and EMAIL not in raw and "r" * 101 not in raw
        assert record.key == good.key().encode()


async def _known(runtime, volunteer_id):
    from services.training.db.tables import KnownVolunteer

    async with runtime.read_sessionmaker() as s:
        return await s.get(KnownVolunteer, volunteer_id)
