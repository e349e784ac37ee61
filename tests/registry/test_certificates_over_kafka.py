"""Through a real broker: training's certificate-issued (dasar) activates a candidate, and the
status change reaches registry.volunteers; a redelivered certificate changes nothing."""

from __future__ import annotations

import json

import pytest
from aiokafka import AIOKafkaProducer

from shared.events.envelope import Envelope
from shared.events.registry import VOLUNTEERS_TOPIC
from shared.events.training import CERTIFICATES_TOPIC
from tests.builders import auth_headers, volunteer_payload
from tests.registry.test_lifecycle_api import certificate
from tests.support import eventually, header, migrate, read_topic, running, settings_for

pytestmark = pytest.mark.broker


async def test_a_passed_bimtek_dasar_from_training_activates_the_volunteer(broker, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/registry.db"
    await migrate("registry", url)
    settings = settings_for("registry", database_url=url, bootstrap=broker.bootstrap)
    async with running("registry", settings) as reg:
        headers = auth_headers(settings)
        vid = (
            await reg.client.post("/volunteers", json=volunteer_payload(), headers=headers)
        ).json()["id"]
        event = certificate(vid)
        envelope = Envelope(event_type=event.event_type, source="training")
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        try:
            for _ in range(2):  # the same event twice: a redelivery
                await producer.send_and_wait(
                    CERTIFICATES_TOPIC,
                    event.model_dump_json().encode(),
                    key=vid.encode(),
                    headers=[(k, v.encode()) for k, v in envelope.to_headers().items()],
                )
        finally:
            await producer.stop()

        async def active():
            r = await reg.client.get(f"/volunteers/{vid}", headers=headers)
            return r.json()["status"] == "active"

        await eventually(active, timeout=30, message="volunteer activated")
        records = await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=2, settle=1.0)
        types = [header(r, "ce_type") for r in records]
        assert types == ["volunteer-registered", "volunteer-status-changed"]
        changed = json.loads(records[1].value)
        assert (changed["old_status"], changed["new_status"]) == ("candidate", "active")
        assert records[1].key.decode() == vid
