"""Producing events straight to the broker, as a foreign or misbehaving producer would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events.envelope import Envelope
from shared.events.registry import VolunteerRegistered


def registered_event(**overrides: Any) -> VolunteerRegistered:
    fields: dict[str, Any] = {
        "volunteer_id": uuid.uuid4(),
        "village_code": "32.76.01.1006",
        "district_code": "32.76.01",
        "regency_code": "32.76",
        "province_code": "32",
        "region_dataset": "test",
        "registered_at": datetime.now(UTC),
    }
    fields.update(overrides)
    return VolunteerRegistered(**fields)


class RawProducer:
    """An aiokafka producer that sends exactly the bytes and headers it is given."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def __aenter__(self) -> RawProducer:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(self, topic: str, *, key: str, value: bytes, headers: dict[str, str]) -> Any:
        return await self._producer.send_and_wait(
            topic,
            value=value,
            key=key.encode(),
            headers=[(k, v.encode()) for k, v in headers.items()],
        )

    async def send_event(
        self,
        event: VolunteerRegistered,
        *,
        envelope: Envelope | None = None,
        key: str | None = None,
    ) -> Envelope:
        envelope = envelope or Envelope(event_type=event.event_type, source="test")
        await self.send(
            event.topic,
            key=key or event.key(),
            value=event.model_dump_json().encode(),
            headers=envelope.to_headers(),
        )
        return envelope
