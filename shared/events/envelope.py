"""CloudEvents-style envelope carried in Kafka headers (binary content mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.ids import uuid7

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class EnvelopeError(ValueError):
    """A record's headers do not form a valid envelope."""


@dataclass(frozen=True)
class Envelope:
    event_type: str
    source: str
    schema_version: int = 1
    event_id: uuid.UUID = field(default_factory=uuid7)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None

    def to_headers(self) -> dict[str, str]:
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
        cls, headers: Mapping[str, str | bytes] | Iterable[tuple[str, bytes]]
    ) -> Envelope:
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
                else datetime.now(UTC),
                correlation_id=h.get("ce_correlationid"),
            )
        except ValueError as exc:
            raise EnvelopeError(f"malformed envelope header: {exc}") from exc
