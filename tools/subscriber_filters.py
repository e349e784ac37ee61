"""What an agency's subscriber keeps of a record: group-name rules, type and region filters,
and validation of each payload against the published event models."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from shared.dead_letters import describe_error
from shared.events.catalog import EVENT_TYPES
from shared.events.envelope import Envelope, EnvelopeError
from tools.services import SERVICE_NAMES

#: payload fields that hold Kemendagri region codes (dotted: 32, 32.76, 32.76.01, …)
REGION_FIELD_SUFFIXES = ("province_code", "regency_code", "district_code", "village_code")
REGION_FIELDS = ("organiser_region_code",)


class SubscriberError(RuntimeError):
    """The subscriber cannot go on (bad arguments, webhook down for good)."""


def check_group(group: str) -> str:
    """An agency's group must be its own: a service's group name would take its partitions."""
    name = group.strip()
    if not name:
        raise SubscriberError("the consumer group must not be empty")
    lowered = name.lower()
    for service in SERVICE_NAMES:
        if lowered == service or lowered.startswith((f"{service}.", f"{service}-", f"{service}_")):
            raise SubscriberError(
                f"consumer group {name!r} belongs to the {service} service; use your agency's "
                "own prefix (e.g. 'bps.statistik'), see docs/events.md"
            )
    return name


def region_codes(payload: dict[str, Any]) -> set[str]:
    """The region codes an event's payload names."""
    codes = {
        str(value)
        for key, value in payload.items()
        if isinstance(value, str) and (key.endswith(REGION_FIELD_SUFFIXES) or key in REGION_FIELDS)
    }
    by_region = payload.get("by_region")
    if isinstance(by_region, dict):
        codes |= {str(k) for k in by_region}
    return codes


def in_region(payload: dict[str, Any], prefix: str) -> bool:
    """True when a region code of the event lies in `prefix` ('32' or '32.76'; dotted match)."""
    prefix = prefix.strip().rstrip(".")
    return any(c == prefix or c.startswith(prefix + ".") for c in region_codes(payload))


@dataclass(frozen=True)
class Filters:
    """Which events a subscriber keeps (types, regions)."""

    types: frozenset[str] = frozenset()
    region: str | None = None


@dataclass
class Stats:
    """Counts of events read, kept and skipped."""

    delivered: int = 0
    filtered: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)


def _headers(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers or ()}


def _position(record: ConsumerRecord[Any, Any]) -> dict[str, Any]:
    key = record.key.decode(errors="replace") if isinstance(record.key, bytes) else record.key
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": key,
    }


def interpret(
    record: ConsumerRecord[Any, Any], filters: Filters, stats: Stats
) -> dict[str, Any] | None:
    """The output line for a record, or None when it is filtered out or invalid."""
    if record.topic.endswith(".dlq"):
        return _dead_letter(record, filters, stats)
    try:
        envelope = Envelope.from_headers(record.headers or ())
    except EnvelopeError as exc:
        _invalid(record, stats, str(exc))
        return None
    if filters.types and envelope.event_type not in filters.types:
        stats.filtered += 1
        return None
    try:
        payload = json.loads(record.value or b"")
    except ValueError:
        _invalid(record, stats, "payload is not JSON")
        return None
    model = EVENT_TYPES.get(envelope.event_type)
    if model is not None:
        try:
            model.model_validate(payload)
        except ValidationError as exc:
            _invalid(record, stats, f"{envelope.event_type}: {describe_error(exc)}")
            return None
    if filters.region and not (isinstance(payload, dict) and in_region(payload, filters.region)):
        stats.filtered += 1
        return None
    return {
        **_position(record),
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "schema_version": envelope.schema_version,
        "source": envelope.source,
        "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id,
        # A type newer than this subscriber's catalogue passes through unvalidated.
        "validated": model is not None,
        "payload": payload,
    }


def _dead_letter(
    record: ConsumerRecord[Any, Any], filters: Filters, stats: Stats
) -> dict[str, Any] | None:
    headers = _headers(record)
    if filters.types and headers.get("ce_type") not in filters.types:
        stats.filtered += 1
        return None
    try:
        letter = json.loads(record.value or b"")
    except ValueError:
        _invalid(record, stats, "dead letter is not JSON")
        return None
    return {**_position(record), "event_type": headers.get("ce_type"), "dead_letter": letter}


def _invalid(record: ConsumerRecord[Any, Any], stats: Stats, reason: str) -> None:
    stats.invalid += 1
    where = f"{record.topic}[{record.partition}]@{record.offset}"
    stats.problems.append(f"{where}: {reason}")
    print(f"skipped invalid record {where}: {reason}", file=sys.stderr)
