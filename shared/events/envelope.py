"""CloudEvents-style envelope carried in Kafka headers (binary content mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared.clock import SYSTEM_CLOCK
from shared.ids import uuid7

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


#: The envelope headers as a JSON Schema (values decoded from UTF-8), for the AsyncAPI
#: documents: what `Envelope.to_headers` writes on every published record. Required are
#: the headers always sent; `ce_correlationid` only when the event has a correlation id.
ENVELOPE_HEADERS_SCHEMA: dict[str, object] = {
    "type": "object",
    "title": "EnvelopeHeaders",
    "description": (
        "CloudEvents 1.0 attributes in Kafka headers (binary content mode); each header "
        "value is UTF-8 text."
    ),
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_schemaversion",
        "content-type",
    ],
    "properties": {
        "ce_specversion": {
            "type": "string",
            "const": SPEC_VERSION,
            "description": "CloudEvents specification version.",
        },
        "ce_id": {
            "type": "string",
            "format": "uuid",
            "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "description": "Event id: the idempotency key (delivery is at least once).",
        },
        "ce_type": {
            "type": "string",
            "description": "Event type, e.g. volunteer-registered: selects the payload schema.",
        },
        "ce_source": {
            "type": "string",
            "description": "The publishing service, e.g. registry or training.",
        },
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "When the event happened (RFC 3339, with offset).",
        },
        "ce_schemaversion": {
            "type": "string",
            "pattern": "^[1-9][0-9]*$",
            "description": "Version of the event type's payload schema (an integer).",
        },
        "ce_correlationid": {
            "type": "string",
            "description": "The request that caused the event (x-request-id); may be absent.",
        },
        "content-type": {
            "type": "string",
            "const": CONTENT_TYPE,
            "description": "Media type of the payload.",
        },
    },
}


class EnvelopeError(ValueError):
    """A record's headers do not form a valid envelope."""


@dataclass(frozen=True)
class Envelope:
    """An event's envelope: id, type, source, schema version, time and correlation id.

    `time` defaults to the system clock's now; code that has a service's clock passes it
    (`stage_events(..., now=clock.now())`).
    """

    event_type: str
    source: str
    schema_version: int = 1
    event_id: uuid.UUID = field(default_factory=uuid7)
    time: datetime = field(default_factory=lambda: SYSTEM_CLOCK.now())
    correlation_id: str | None = None

    def to_headers(self) -> dict[str, str]:
        """The Kafka headers of the envelope (described by `ENVELOPE_HEADERS_SCHEMA`)."""
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": str(self.event_id),
            "ce_type": self.event_type,
            "ce_source": self.source,
            "ce_time": self.time.isoformat(),
            "ce_schemaversion": str(self.schema_version),
            "content-type": CONTENT_TYPE,
        }
        if self.correlation_id:
            headers["ce_correlationid"] = self.correlation_id
        return headers

    @classmethod
    def from_headers(
        cls,
        headers: Mapping[str, str | bytes] | Iterable[tuple[str, bytes]],
        *,
        now: datetime | None = None,
    ) -> Envelope:
        """Read an envelope from a record's headers; `EnvelopeError` when they form none.

        Without `ce_time` the event's time is `now` (the reader's clock; the system clock's
        now when not given).
        """
        items = headers.items() if isinstance(headers, Mapping) else headers
        h = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in items}
        missing = [k for k in ("ce_id", "ce_type", "ce_source") if not h.get(k)]
        if missing:
            raise EnvelopeError(f"missing envelope headers: {', '.join(missing)}")
        try:
            return cls(
                event_id=uuid.UUID(h["ce_id"]),
                event_type=h["ce_type"],
                source=h["ce_source"],
                schema_version=int(h.get("ce_schemaversion") or 1),
                time=datetime.fromisoformat(h["ce_time"])
                if h.get("ce_time")
                else (now if now is not None else SYSTEM_CLOCK.now()),
                correlation_id=h.get("ce_correlationid"),
            )
        except ValueError as exc:
            raise EnvelopeError(f"malformed envelope header: {exc}") from exc
