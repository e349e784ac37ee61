"""Dead letters: where a message that cannot be applied goes, so its partition keeps moving."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from shared.events.catalog import dlq_topic
from shared.faststream_adapter import Record, publish_confirmed
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.pii import redact_text
from shared.relay import backoff
from shared.settings import ServiceSettings

log = get_logger("shared.dead_letters")


def describe_error(exc: BaseException) -> str:
    """Error text safe for logs and dead letters: field names and error kinds, no input values."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['type']}"
            for err in exc.errors()
        )[:1000]
    return redact_text(f"{type(exc).__name__}: {exc}")[:1000]


class DeadLetterWriter:
    """Writes a failed record's reference and error to `<topic>.dlq`.

    The original body is deliberately not copied (a malformed message may carry personal
    data a producer should never have sent): the dead letter names topic, partition and
    offset, the body's size and SHA-256, and the envelope, which is enough to find and
    replay it from the source topic.
    """

    def __init__(
        self,
        *,
        broker: KafkaBroker,
        consumer: str,
        metrics: ServiceMetrics,
        settings: ServiceSettings,
    ) -> None:
        self._broker = broker
        self._consumer = consumer
        self._metrics = metrics
        self._settings = settings

    async def send(
        self, record: Record, *, reason: str, error: BaseException, attempts: int, now: datetime
    ) -> None:
        """Publish the dead letter of `record` (failed at `now`, the service's clock) and wait
        until the broker stored it."""
        body = record.value or b""
        envelope = {
            k: v.decode(errors="replace") for k, v in (record.headers or ()) if k.startswith("ce_")
        }
        letter: dict[str, Any] = {
            "consumer": self._consumer,
            "reason": reason,
            "error_type": type(error).__name__,
            "error": describe_error(error),
            "attempts": attempts,
            "failed_at": now.isoformat(),
            "original": {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "timestamp_ms": record.timestamp,
                "size_bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
            },
            "envelope": envelope,
        }
        headers = {
            **envelope,
            "dlq_reason": reason,
            "dlq_consumer": self._consumer,
            "dlq_original_topic": record.topic,
            "dlq_original_partition": str(record.partition),
            "dlq_original_offset": str(record.offset),
            "content-type": "application/json",
        }
        await self._publish_until_acknowledged(record, json.dumps(letter).encode(), headers)
        self._metrics.dead_letters.labels(self._consumer, record.topic, reason).inc()
        log.error("message dead-lettered", reason=reason, attempts=attempts, error=letter["error"])

    async def _publish_until_acknowledged(
        self, record: Record, value: bytes, headers: dict[str, str]
    ) -> None:
        # Why retry forever: committing the offset before the dead letter is safely stored
        # would lose the message; if the broker is down, nothing else can progress anyway.
        attempt = 0
        while True:
            attempt += 1
            try:
                await publish_confirmed(
                    self._broker,
                    value,
                    topic=dlq_topic(record.topic),
                    key=record.key,
                    headers=headers,
                )
                return
            except Exception as exc:
                delay = backoff(
                    attempt,
                    self._settings.consumer_retry_backoff_s,
                    self._settings.consumer_retry_backoff_max_s,
                )
                log.warning(
                    "dead-letter publish failed", error=describe_error(exc), retry_in_s=delay
                )
                await asyncio.sleep(delay)
