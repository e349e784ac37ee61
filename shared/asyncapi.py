"""The AsyncAPI documents: each service's (GET /asyncapi.json) and the platform's (docs/).

FastStream generates the skeleton (servers, channels, operations) from the brokers'
publishers and subscribers. What it cannot say, `describe_messages` adds to the generated
document, the same way for a service's document and the platform's:

- one message per event type on every channel, published *and* consumed, with the event
  model (`shared/events/`) as payload — FastStream sees only the raw bytes a consumer asks
  for, so consumed channels came out with an empty payload;
- the CloudEvents envelope as the message's `headers` schema (`ENVELOPE_HEADERS_SCHEMA`, next to
  the code that writes the headers), with `ce_type` fixed to the message's event type;
- `correlationId` at `$message.header#/ce_correlationid`, the header the relay really
  sets (FastStream points at a `correlation_id` header of its own that we never send).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.specification import AsyncAPI
from faststream.specification.base import Specification
from pydantic.json_schema import models_json_schema

from shared.events.base import Event
from shared.events.envelope import CONTENT_TYPE, ENVELOPE_HEADERS_SCHEMA
from shared.runtime import Runtime

ENVELOPE_SCHEMA_NAME = "EnvelopeHeaders"
CORRELATION_ID = {
    "description": "The request that caused the event (the HTTP call's x-request-id).",
    "location": "$message.header#/ce_correlationid",
}
_SCHEMAS = "#/components/schemas/"


class ServiceAsyncAPI(AsyncAPI):
    """FastStream's AsyncAPI factory whose specification is post-processed by
    `describe_messages` (what GET /asyncapi.json and the AsyncAPI page serve)."""

    def __init__(self, *runtimes: Runtime, **kwargs: Any) -> None:
        super().__init__(*(r.broker for r in runtimes), **kwargs)
        self.runtimes = runtimes

    def to_specification(self) -> Specification:
        """The generated specification with the messages described (see the module)."""
        generated = super().to_specification()
        document = describe_messages(json.loads(generated.to_json()), self.runtimes)
        return DescribedSpecification(document)


@dataclass(frozen=True)
class DescribedSpecification:
    """A finished AsyncAPI document, served as it is (FastStream's `Specification` protocol:
    what its AsyncAPI page renders)."""

    document: dict[str, Any]

    @property
    def title(self) -> str:
        """The document's title."""
        return str(self.document["info"]["title"])

    def to_yaml(self) -> str:
        """The document as YAML text (JSON, which is valid YAML 1.2)."""
        return json.dumps(self.document, indent=2)

    def to_jsonable(self) -> Any:
        """The document as JSON-compatible data."""
        return self.document

    def to_json(self) -> str:
        """The document as JSON text."""
        return json.dumps(self.document)


def asyncapi_document(
    runtime: Runtime, *, title: str, version: str, description: str
) -> ServiceAsyncAPI:
    """The service's AsyncAPI document, built from its broker's publishers and subscribers."""
    return ServiceAsyncAPI(runtime, title=title, version=version, description=description)


def platform_document(
    runtimes: Sequence[Runtime], *, title: str, version: str, description: str
) -> dict[str, Any]:
    """One AsyncAPI document over several services' brokers (docs/asyncapi.json)."""
    spec = ServiceAsyncAPI(*runtimes, title=title, version=version, description=description)
    return spec.to_specification().to_jsonable()  # type: ignore[no-any-return]


def describe_messages(document: dict[str, Any], runtimes: Iterable[Runtime]) -> dict[str, Any]:
    """Give every channel of a generated document one message per event type it carries,
    with the envelope headers, the correlation id and the event model as payload.

    A channel belongs to the service named before the first `:` of its id (publishers are
    titled `<service>:<topic>`, the consumer `<service>:consumer`); an operation that sends
    carries the events the service publishes on the channel's topic, one that receives
    the events its consumer handles there.
    """
    by_name = {r.name: r for r in runtimes}
    channels: dict[str, Any] = document.get("channels", {})
    used: dict[str, type[Event]] = {}
    for operation in document.get("operations", {}).values():
        channel_id = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        channel = channels[channel_id]
        runtime = by_name[channel_id.split(":", 1)[0]]
        models = _carried(runtime, channel["address"], sending=operation["action"] == "send")
        channel["messages"] = {m.event_type: _message_ref(m) for m in models}
        operation["messages"] = [
            {"$ref": f"#/channels/{channel_id}/messages/{m.event_type}"} for m in models
        ]
        used |= {m.event_type: m for m in models}
    components = document.setdefault("components", {})
    components["messages"] = {t: _message(m) for t, m in sorted(used.items())}
    components["schemas"] = _schemas(sorted(used.values(), key=lambda m: m.event_type))
    return document


def _carried(runtime: Runtime, topic: str, *, sending: bool) -> list[type[Event]]:
    if sending:
        return [m for m in runtime.publishes if m.topic == topic]
    return list(runtime.consumer.models_by_topic().get(topic, ()))


def _message_ref(model: type[Event]) -> dict[str, str]:
    return {"$ref": f"#/components/messages/{model.event_type}"}


def _message(model: type[Event]) -> dict[str, Any]:
    summary = " ".join((model.__doc__ or "").split())
    message: dict[str, Any] = {
        "name": model.event_type,
        "title": model.__name__,
        "contentType": CONTENT_TYPE,
        "headers": {
            "allOf": [
                {"$ref": _SCHEMAS + ENVELOPE_SCHEMA_NAME},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": model.event_type},
                        "ce_schemaversion": {"const": str(model.schema_version)},
                    },
                },
            ]
        },
        "correlationId": CORRELATION_ID,
        "payload": {"$ref": _SCHEMAS + model.__name__},
        "bindings": {
            "kafka": {
                "bindingVersion": "0.4.0",
                "key": {"type": "string", "description": f"The event's `{model.key_field}`."},
            }
        },
    }
    if summary and not summary.startswith(model.__name__ + "("):
        message["summary"] = summary
    return message


def _schemas(models: list[type[Event]]) -> dict[str, Any]:
    """The envelope headers and the event models (with the types they use), by name."""
    schemas: dict[str, Any] = {ENVELOPE_SCHEMA_NAME: ENVELOPE_HEADERS_SCHEMA}
    if models:
        _, defs = models_json_schema(
            [(m, "validation") for m in models], ref_template=_SCHEMAS + "{model}"
        )
        schemas |= defs.get("$defs", {})
    return dict(sorted(schemas.items()))
