"""The published contracts (AsyncAPI, JSON Schemas, Strimzi topics/users) match the code."""

from __future__ import annotations

import enum
import json
import re
import types
import typing
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from pydantic import BaseModel

from shared.events.base import Event
from shared.events.catalog import EVENT_TYPES, TOPICS
from shared.events.envelope import Envelope
from shared.outbox import stage_events
from tests.support import migrate, read_topic, running, settings_for
from tools import contracts

#: fields that must never appear in a public event (personal data)
PERSONAL_FIELDS = {"name", "full_name", "nama", "address", "alamat", "birth_date", "mother_name"}
PERSONAL_PARTS = re.compile(r"(^|_)(nik|phone|msisdn|email|whatsapp|telepon)($|_)")


@pytest.fixture(scope="module")
def rendered() -> dict[Path, str]:
    return contracts.render()


def test_checked_in_contracts_match_the_code(rendered, monkeypatch):
    monkeypatch.setattr(contracts, "render", lambda: rendered)
    problems = contracts.drift()
    assert problems == [], f"contracts drifted from the code; run `{contracts.REGENERATE}`"


def test_drift_is_detected_for_a_changed_or_extra_file(rendered, monkeypatch, tmp_path):
    shadow = {tmp_path / p.relative_to(contracts.ROOT): text for p, text in rendered.items()}
    for path, text in shadow.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(contracts, "ROOT", tmp_path)
    monkeypatch.setattr(contracts, "SCHEMAS_DIR", tmp_path / "docs/schemas")
    monkeypatch.setattr(contracts, "render", lambda: shadow)
    assert contracts.drift() == []
    schema = tmp_path / "docs/schemas/volunteer-registered.json"
    schema.write_text(schema.read_text().replace("village_code", "desa"))
    (tmp_path / "docs/schemas/volunteer-born.json").write_text("{}")
    assert contracts.drift() == [
        "docs/schemas/volunteer-registered.json is outdated",
        "docs/schemas/volunteer-born.json has no event type in the catalogue any more",
    ]


def test_asyncapi_document_lists_every_public_topic(rendered):
    document = json.loads(rendered[contracts.ASYNCAPI_PATH])
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert set(TOPICS) <= addresses
    assert document["info"]["title"] == "PSM platform events"


def test_there_is_one_json_schema_per_event_type(rendered):
    schemas = {
        p.stem: json.loads(text) for p, text in rendered.items() if p.parent.name == "schemas"
    }
    assert set(schemas) == set(EVENT_TYPES)
    for event_type, schema in schemas.items():
        assert schema["x-psm-topic"] == EVENT_TYPES[event_type].topic
        assert schema["$id"].startswith(f"urn:psm:event:{event_type}:v")


def _property_names(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        names = set(schema.get("properties", {}))
        return names.union(*(_property_names(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_property_names(v) for v in schema))
    return set()


def test_no_event_carries_personal_data_fields(rendered):
    offenders = {
        (p.stem, name)
        for p, text in rendered.items()
        if p.parent.name == "schemas"
        for name in _property_names(json.loads(text))
        if name in PERSONAL_FIELDS or PERSONAL_PARTS.search(name)
    }
    assert offenders == set()


def test_check_command_names_the_regenerate_command(monkeypatch):
    from typer.testing import CliRunner

    monkeypatch.setattr(contracts, "drift", lambda: ["docs/asyncapi.json is outdated"])
    result = CliRunner().invoke(contracts.app, ["check"])
    assert result.exit_code == 1
    assert "docs/asyncapi.json is outdated" in result.stderr
    assert "python -m tools.contracts write" in result.stderr


# --- AsyncAPI a consumer can rely on --------------------------------------------------------
#
# The documents are checked against the AsyncAPI Initiative's JSON Schema of their version
# (npm `@asyncapi/specs`, fetched once into a cache: `python -m tools.contracts fetch-schema`),
# and against what the services really send: records published by the outbox relay on a
# real broker are validated header by header and payload by payload.


def _validator(document: dict[str, Any]) -> Any:
    try:
        schema = contracts.official_schema(document["asyncapi"])
    except contracts.SchemaUnavailableError as exc:
        pytest.fail(f"the official AsyncAPI JSON Schema is not available: {exc}")
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _official_errors(document: dict[str, Any]) -> list[str]:
    return [_error(e) for e in _validator(document).iter_errors(document)]


def _error(error: Any) -> str:
    path = "".join(f"/{part}" for part in error.instance_path)
    return f"{path}: {error.message}"[:300]


async def _service_documents() -> dict[str, dict[str, Any]]:
    """Each service's document as its GET /asyncapi.json serves it (no broker needed)."""
    documents = {}
    for runtime in contracts.service_runtimes():
        module = __import__(f"services.{runtime.name}.main", fromlist=["create_app"])
        app = module.create_app(runtime.settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            response = await client.get("/asyncapi.json")
        assert response.status_code == 200, response.text
        documents[runtime.name] = response.json()
    return documents


@pytest.fixture(scope="module")
async def service_documents() -> dict[str, dict[str, Any]]:
    return await _service_documents()


def _documents(rendered, service_documents) -> dict[str, dict[str, Any]]:
    return {"platform": json.loads(rendered[contracts.ASYNCAPI_PATH]), **service_documents}


def test_the_platform_and_service_documents_are_valid_asyncapi(rendered, service_documents):
    for name, document in _documents(rendered, service_documents).items():
        assert document["asyncapi"] == "3.0.0"
        assert _official_errors(document) == [], f"{name}'s AsyncAPI document is invalid"


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("correlationId", {"location": "correlation_id"}),
        ("headers", {"type": 5}),
        ("payload", {"required": "volunteer_id"}),
    ],
)
def test_the_official_schema_rejects_a_wrong_message(rendered, field, wrong):
    document = json.loads(rendered[contracts.ASYNCAPI_PATH])
    document["components"]["messages"]["volunteer-registered"][field] = wrong
    paths = {error.split(":")[0] for error in _official_errors(document)}
    assert any(p.startswith("/components/messages/volunteer-registered") for p in paths)


def _resolve(document: dict[str, Any], ref: dict[str, str]) -> Any:
    node: Any = document
    for part in ref["$ref"].removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return _resolve(document, node) if "$ref" in node else node


def _carried(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """{(operation id, topic): event types of its messages}"""
    carried = {}
    for op_id, operation in document["operations"].items():
        channel = _resolve(document, operation["channel"])
        messages = [_resolve(document, m) for m in operation["messages"]]
        carried[(op_id, channel["address"])] = {m["name"] for m in messages}
    return carried


def test_every_published_and_consumed_channel_has_a_payload_per_event_type(
    rendered, service_documents
):
    for name, document in _documents(rendered, service_documents).items():
        for (op_id, topic), event_types in _carried(document).items():
            assert event_types, f"{name}: {op_id} on {topic} carries no message"
            assert {EVENT_TYPES[t].topic for t in event_types} == {topic}
            for event_type in event_types:
                message = document["components"]["messages"][event_type]
                payload = _resolve(document, message["payload"])
                model = EVENT_TYPES[event_type]
                assert set(payload["properties"]) == set(model.model_fields), event_type
    consumed = {
        topic: types
        for (op_id, topic), types in _carried(service_documents["notifications"]).items()
    }
    assert set(consumed) == set(TOPICS), "notifications consumes every public topic"


def test_every_message_describes_the_envelope_headers_and_the_real_correlation_header(
    rendered, service_documents
):
    for name, document in _documents(rendered, service_documents).items():
        envelope = document["components"]["schemas"]["EnvelopeHeaders"]
        assert set(envelope["required"]) == set(Envelope("t", "s").to_headers())
        assert envelope["properties"]["ce_id"]["format"] == "uuid"
        assert envelope["properties"]["ce_time"]["format"] == "date-time"
        assert "ce_correlationid" in envelope["properties"]
        for event_type, message in document["components"]["messages"].items():
            assert message["correlationId"]["location"] == "$message.header#/ce_correlationid"
            assert message["headers"]["allOf"][0] == {
                "$ref": "#/components/schemas/EnvelopeHeaders"
            }, f"{name}: {event_type}"
            assert message["headers"]["allOf"][1]["properties"]["ce_type"] == {"const": event_type}


def _check(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    """Validation errors of `instance` against a schema of the document (refs resolved)."""
    rooted = {**schema, "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(rooted, validate_formats=True)
    return [_error(e) for e in validator.iter_errors(instance)]


@pytest.mark.broker
async def test_records_the_relay_publishes_match_the_documented_headers_and_payloads(
    broker, tmp_path
):
    """Every event type, staged in its publisher's outbox and published by the relay to a
    real broker: each record's headers satisfy the message's headers schema (required
    headers, formats, ce_type) and its body the message's payload schema."""
    published: dict[str, list[Any]] = {}
    for service in ("registry", "training"):
        url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
        await migrate(service, url)
        settings = settings_for(service, database_url=url, bootstrap=broker.bootstrap)
        async with running(service, settings) as svc:
            runtime, document = svc.runtime, (await svc.client.get("/asyncapi.json")).json()
            events = [sample_event(model) for model in runtime.publishes]
            async with runtime.sessionmaker() as session, session.begin():
                await stage_events(session, runtime.outbox, events[:1], source=service)
                await stage_events(
                    session, runtime.outbox, events[1:], source=service, correlation_id="req-1"
                )
            for topic in sorted({e.topic for e in events}):
                expect = sum(1 for e in events if e.topic == topic)
                records = await read_topic(broker.bootstrap, topic, expect=expect)
                published[service] = [*published.get(service, []), *records]
                assert len(records) == expect
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    message = document["components"]["messages"][headers["ce_type"]]
                    assert _check(document, message["headers"], headers) == [], headers
                    payload = json.loads(record.value)
                    assert _check(document, message["payload"], payload) == [], payload
    seen = {dict(r.headers)["ce_type"].decode() for rs in published.values() for r in rs}
    assert seen == set(EVENT_TYPES)


def test_a_wrong_header_is_caught_by_the_documented_schema(rendered):
    document = json.loads(rendered[contracts.ASYNCAPI_PATH])
    message = document["components"]["messages"]["volunteer-registered"]
    headers = Envelope("volunteer-registered", "registry", correlation_id="r").to_headers()
    assert _check(document, message["headers"], headers) == []
    assert _check(document, message["headers"], {**headers, "ce_id": "not-a-uuid"})
    assert _check(document, message["headers"], {**headers, "ce_time": "yesterday"})
    assert _check(document, message["headers"], {**headers, "ce_type": "volunteer-erased"})
    missing = {k: v for k, v in headers.items() if k != "ce_source"}
    assert _check(document, message["headers"], missing)


def sample_event(model: type[Event]) -> Event:
    """An instance of an event model with a value of the right type in every field."""
    return model.model_validate(
        {name: _sample(f.annotation, f.metadata) for name, f in model.model_fields.items()}
    )


#: strings that fit the events' code patterns (region codes, course codes, field names, …)
PATTERNED = ("32", "32.76", "32.76.01", "32.76.01.1001", "BIMTEK-DASAR", "village_code")


def _pattern_of(metadata: Any) -> str | None:
    for item in metadata:
        found = getattr(item, "pattern", None) or _pattern_of(getattr(item, "metadata", ()))
        if found:
            return str(found)
    return None


def _sample(annotation: Any, metadata: Any = ()) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _sample(args[0], [*metadata, *args[1:]])
    pattern = _pattern_of(metadata)
    if annotation is str and pattern:
        return next(v for v in PATTERNED if re.fullmatch(pattern.strip("^$"), v))
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)))
    if origin is dict:
        return {"32.76": _sample(args[1])}
    if origin in (list, tuple, set, frozenset):
        return [_sample(args[0])]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {n: _sample(f.annotation) for n, f in annotation.model_fields.items()}
    simple = {
        uuid.UUID: str(uuid.uuid4()),
        datetime: datetime.now(UTC).isoformat(),
        date: date.today().isoformat(),
        int: 1,
        float: 1.5,
        bool: True,
        str: "32",
    }
    return simple[annotation]
