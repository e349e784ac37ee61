"""The published event contracts, generated from the code: `python -m tools.contracts write`.

- `docs/asyncapi.json`: the AsyncAPI document of every service's broker (public topics,
  who publishes and who consumes them, the payload schemas).
- `docs/schemas/<event-type>.json`: one JSON Schema per event type of the catalogue.

`python -m tools.contracts check` exits non-zero when the checked-in files differ from the
code; the test suite runs the same comparison.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import typer
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared.events.base import Event
from shared.events.catalog import EVENT_TYPES
from tools.services import ROOT, SERVICE_NAMES, SERVICES

DOCS = ROOT / "docs"
ASYNCAPI_PATH = DOCS / "asyncapi.json"
SCHEMAS_DIR = DOCS / "schemas"
REGENERATE = "python -m tools.contracts write"
#: the bootstrap address printed in the document (agencies get theirs at onboarding)
PUBLIC_BOOTSTRAP = "kafka.psm.example.id:9093"
VERSION = "1.0.0"

app = typer.Typer(help=__doc__, no_args_is_help=True)


def service_brokers() -> list[KafkaBroker]:
    """Each service's broker with its publishers and subscribers, built from the code.

    Settings are fixed here (not read from the environment) so the document is the same
    on every machine; no connection to Kafka or a database is made.
    """
    brokers = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SERVICE_NAMES:
            module = __import__(f"services.{name}.main", fromlist=["create_app"])
            settings = SERVICES[name].settings(
                environment="development",
                database_url=f"sqlite+aiosqlite:///{tmp}/{name}.db",
                kafka_bootstrap_servers=PUBLIC_BOOTSTRAP,
                kafka_security_protocol="PLAINTEXT",
                log_format="console",
            )
            brokers.append(module.create_app(settings).state.runtime.broker)
    return brokers


def asyncapi_document() -> dict[str, Any]:
    spec = AsyncAPI(
        *service_brokers(),
        title="PSM platform events",
        version=VERSION,
        description=(
            "Public Kafka topics of Indonesia's PSM volunteer platform. Envelope in "
            "CloudEvents headers (ce_id = idempotency key, ce_type, ce_source, ce_time, "
            "ce_schemaversion, ce_correlationid); key = aggregate id; payload JSON. No NIK, "
            "name or phone number is ever published. Compatibility policy: docs/events.md."
        ),
    ).to_specification()
    return json.loads(spec.to_json())  # type: ignore[no-any-return]


def event_schema(model: type[Event]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:psm:event:{model.event_type}:v{model.schema_version}",
        **schema,
        "x-psm-event-type": model.event_type,
        "x-psm-schema-version": model.schema_version,
        "x-psm-topic": model.topic,
        "x-psm-key-field": model.key_field,
    }


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> dict[Path, str]:
    """Every generated file and its expected content."""
    files = {ASYNCAPI_PATH: _dump(asyncapi_document())}
    for event_type, model in sorted(EVENT_TYPES.items()):
        files[SCHEMAS_DIR / f"{event_type}.json"] = _dump(event_schema(model))
    return files


def drift() -> list[str]:
    """Human-readable differences between the checked-in files and the code."""
    expected = render()
    problems = [
        f"{path.relative_to(ROOT)} is {'outdated' if path.exists() else 'missing'}"
        for path, text in expected.items()
        if not path.exists() or path.read_text() != text
    ]
    if SCHEMAS_DIR.exists():
        problems += [
            f"{path.relative_to(ROOT)} has no event type in the catalogue any more"
            for path in sorted(SCHEMAS_DIR.glob("*.json"))
            if path not in expected
        ]
    return problems


@app.command()
def write() -> None:
    """Regenerate docs/asyncapi.json and docs/schemas/*.json from the code."""
    files = render()
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in set(SCHEMAS_DIR.glob("*.json")) - set(files):
        stale.unlink()
    for path, text in files.items():
        path.write_text(text)
    typer.echo(f"wrote {len(files)} files under {DOCS.relative_to(ROOT)}/")


@app.command()
def check() -> None:
    """Fail when the checked-in contracts differ from the code."""
    problems = drift()
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"regenerate with: {REGENERATE}", err=True)
        raise typer.Exit(1)
    typer.echo("contracts match the code")


if __name__ == "__main__":
    app()
