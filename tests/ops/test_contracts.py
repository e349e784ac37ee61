"""The published contracts (AsyncAPI, JSON Schemas, Strimzi topics/users) match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.events.catalog import EVENT_TYPES, TOPICS
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
