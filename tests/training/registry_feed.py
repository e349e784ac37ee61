"""A tiny stand-in for registry: publishes registry's events straight to the broker."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from shared.events.base import Event
from shared.events.envelope import Envelope


class RegistryFeed:
    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def __aenter__(self) -> RegistryFeed:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def publish(self, *events: Event) -> None:
        """Send with the same envelope headers and key the outbox relay would use."""
        sent: list[Any] = []
        for event in events:
            headers = Envelope(event_type=event.event_type, source="registry").to_headers()
            sent.append(
                await self._producer.send(
                    event.topic,
                    value=event.model_dump_json().encode(),
                    key=event.key().encode(),
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
            )
        for future in sent:
            await future
