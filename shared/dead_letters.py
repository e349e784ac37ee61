"""Dead letters: where a message that cannot be applied goes, so its partition keeps moving."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable
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

#: the longest header value a dead letter keeps
HEADER_VALUE_MAX = 100
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: The envelope headers a dead letter keeps (those `shared.events.envelope` defines), each
#: with the shape its value must have. Why an allow-list: a record that failed may come from
#: any producer, and a header it invented (or a value in an unexpected shape) can carry
#: personal data; unknown headers and values of the wrong shape are left out, not copied.
KEPT_HEADERS: dict[str, re.Pattern[str]] = {
    "ce_specversion": re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}"),
    "ce_id": re.compile(_UUID),
    "ce_type": re.compile(r"[a-z][a-z0-9-]{0,99}"),
    "ce_source": re.compile(r"[a-z][a-z0-9._-]{0,99}"),
    "ce_time": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]{5,20}(Z|[+-][0-9:]{2,5})?"),
    "ce_schemaversion": re.compile(r"[0-9]{1,6}"),
    # the request id: opaque, but a client chose it, so only an id's characters pass
    "ce_correlationid": re.compile(r"[A-Za-z0-9._:-]{1,100}"),
}


def kept_headers(headers: Iterable[tuple[str, bytes]] | None) -> tuple[dict[str, str], int]:
    """The allowed envelope headers of a record (values cut to `HEADER_VALUE_MAX`), and how
    many headers were left out (unknown, repeated, or a value of the wrong shape)."""
    kept: dict[str, str] = {}
    left_out = 0
    for name, raw in headers or ():
        value = raw.decode(errors="replace")[:HEADER_VALUE_MAX] if raw else ""
        pattern = KEPT_HEADERS.get(name)
        if pattern is None or name in kept or not pattern.fullmatch(value):
            left_out += 1
            continue
        kept[name] = value
    return kept, left_out


def kept_key(key: bytes | None) -> bytes | None:
    """The record's key when it is an aggregate id (a UUID), else none: a key of another shape
    is data the platform did not write."""
    if key is None:
        return None
    return key if re.fullmatch(_UUID, key.decode(errors="replace")) else None


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
    replay it from the source topic. Of the envelope only the allowed headers are kept
    (`KEPT_HEADERS`, values bounded), and the key only when it is a UUID.
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
        envelope, left_out = kept_headers(record.headers)
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
            "headers_left_out": left_out,
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
                    key=kept_key(record.key),
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
