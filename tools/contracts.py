"""The published event contracts, generated from the code: `python -m tools.contracts write`.

- `docs/asyncapi.json`: the AsyncAPI document of every service's broker (public topics,
  who publishes and who consumes them, the payload schemas).
- `docs/schemas/<event-type>.json`: one JSON Schema per event type of the catalogue.
- `docs/event-catalogue.md`: the same, as a table per event type for people.
- `deploy/kubernetes/kafka/topics.yaml` and `users.yaml`: a Strimzi KafkaTopic per topic
  of the catalogue (and its dead-letter topic), and a KafkaUser per service whose ACLs
  follow what the service publishes and consumes, plus an example agency user.

`python -m tools.contracts check` exits non-zero when the checked-in files differ from the
code; the test suite runs the same comparison.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import typer

from shared.asyncapi import platform_document
from shared.events.base import Event
from shared.events.catalog import EVENT_TYPES, TOPICS, all_topics, dlq_topic
from shared.kafka import topic_config
from shared.runtime import Runtime
from tools.services import ROOT, SERVICE_NAMES, SERVICES

DOCS = ROOT / "docs"
ASYNCAPI_PATH = DOCS / "asyncapi.json"
SCHEMAS_DIR = DOCS / "schemas"
CATALOGUE_PATH = DOCS / "event-catalogue.md"
KAFKA_DIR = ROOT / "deploy" / "kubernetes" / "kafka"
TOPICS_PATH = KAFKA_DIR / "topics.yaml"
USERS_PATH = KAFKA_DIR / "users.yaml"
KAFKA_CLUSTER = "psm"
#: the example agency of docs/events.md: reads public topics, owns groups "bps.*"
EXAMPLE_AGENCY = ("agency-bps", "bps.")
REGENERATE = "python -m tools.contracts write"
#: the bootstrap address printed in the document (agencies get theirs at onboarding)
PUBLIC_BOOTSTRAP = "kafka.psm.example.id:9093"
VERSION = "1.0.0"

#: the official AsyncAPI JSON Schemas, from the AsyncAPI Initiative's npm package (pinned)
SPECS_PACKAGE = "@asyncapi/specs"
SPECS_VERSION = "6.11.1"

app = typer.Typer(help=__doc__, no_args_is_help=True)


def service_runtimes() -> list[Runtime]:
    """Each service's runtime (broker with publishers and subscribers), built from the code.

    Settings are fixed here (not read from the environment) so the output is the same on
    every machine; no connection to Kafka or a database is made.
    """
    runtimes = []
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
            runtimes.append(module.create_app(settings).state.runtime)
    return runtimes


def asyncapi_document(runtimes: list[Runtime] | None = None) -> dict[str, Any]:
    """The platform's AsyncAPI document: every service's channels, messages described by
    `shared.asyncapi.describe_messages` exactly as in each service's own document."""
    return platform_document(
        runtimes if runtimes is not None else service_runtimes(),
        title="PSM platform events",
        version=VERSION,
        description=(
            "Public Kafka topics of Indonesia's PSM volunteer platform. Envelope in "
            "CloudEvents headers (ce_id = idempotency key, ce_type, ce_source, ce_time, "
            "ce_schemaversion, ce_correlationid); key = aggregate id; payload JSON. No NIK, "
            "name or phone number is ever published. Compatibility policy: docs/events.md."
        ),
    )


def event_schema(model: type[Event]) -> dict[str, Any]:
    """The JSON Schema of one event type, with its type, version, topic and key field."""
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


def _type_of(prop: dict[str, Any], defs: dict[str, Any] | None = None) -> str:
    defs = defs or {}
    if "anyOf" in prop:
        return " or ".join(_type_of(p, defs) for p in prop["anyOf"])
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        target = defs.get(name, {})
        return f"{name}: {_type_of(target, defs)}" if "enum" in target else name
    if "enum" in prop:
        return " / ".join(f"`{v}`" for v in prop["enum"])
    kind = str(prop.get("type", "any"))
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if kind == "object" and "additionalProperties" in prop:
        return f"map of {_type_of(prop['additionalProperties'], defs)}"
    if kind == "object" and "patternProperties" in prop:
        [(keys, values)] = prop["patternProperties"].items()
        return f"map (keys `{keys}`) of {_type_of(values, defs)}"
    if "pattern" in prop:
        return f"{kind} `{prop['pattern']}`".replace("|", "\\|")
    return f"{kind} ({prop['format']})" if "format" in prop else kind


def event_catalogue() -> str:
    """A Markdown table of every event type's fields, generated from the models."""
    out = [
        "# Event catalogue",
        "",
        f"Generated by `{REGENERATE}` from `shared/events/` — do not edit. The policy, the",
        "envelope and onboarding are in [events.md](events.md); machine-readable schemas in",
        "[schemas/](schemas/) and [asyncapi.json](asyncapi.json).",
    ]
    for topic, models in sorted(TOPICS.items()):
        out += ["", f"## Topic `{topic}`", ""]
        out.append(f"Dead letters of its consumers: `{dlq_topic(topic)}`.")
        for model in models:
            schema = model.model_json_schema()
            required = set(schema.get("required", []))
            doc = " ".join((model.__doc__ or "").split())
            out += ["", f"### `{model.event_type}` (v{model.schema_version})", ""]
            if doc and not doc.startswith(model.__name__ + "("):
                out += [doc, ""]
            out += [f"Key: `{model.key_field}`.", ""]
            out += ["| field | type | required | description |", "|---|---|---|---|"]
            for name, prop in schema.get("properties", {}).items():
                desc = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
                need = "yes" if name in required else "no"
                kind = _type_of(prop, schema.get("$defs", {}))
                out.append(f"| `{name}` | {kind} | {need} | {desc} |")
    return "\n".join(out) + "\n"


class SchemaUnavailableError(RuntimeError):
    """The official AsyncAPI JSON Schema is neither cached nor fetchable; says how to fix."""


def specs_cache_dir() -> Path:
    """Where the JSON Schemas of the pinned `@asyncapi/specs` are cached (outside the repo)."""
    base = os.environ.get("PSM_ASYNCAPI_SPECS_CACHE") or str(
        Path.home() / ".cache/psm-platform/asyncapi-specs"
    )
    return Path(base) / SPECS_VERSION


def official_schema(asyncapi_version: str) -> dict[str, Any]:
    """The AsyncAPI Initiative's JSON Schema of an AsyncAPI version (e.g. "3.0.0"), fetched
    once with npm (`npm pack`, nothing installed) into `specs_cache_dir()` and reused."""
    path = specs_cache_dir() / f"{asyncapi_version}.json"
    if not path.exists():
        _fetch_specs(specs_cache_dir())
    if not path.exists():
        raise SchemaUnavailableError(
            f"{SPECS_PACKAGE}@{SPECS_VERSION} has no schema of AsyncAPI {asyncapi_version}"
        )
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def _fetch_specs(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailableError(
            "cannot fetch the official AsyncAPI JSON Schema: `npm` is not on PATH (install "
            f"Node.js and npm, e.g. `apt-get install npm`), or put {SPECS_PACKAGE}'s "
            f"schemas/*.json into {target}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{SPECS_PACKAGE}@{SPECS_VERSION}"
        done = subprocess.run(
            [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise SchemaUnavailableError(
                f"cannot fetch {spec} with npm (is the npm registry reachable?): "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarballs[0]) as archive:
            for member in archive.getmembers():
                name = Path(member.name)
                if member.isfile() and name.parent.as_posix() == "package/schemas":
                    source = archive.extractfile(member)
                    if source is not None and name.suffix == ".json":
                        (target / name.name).write_bytes(source.read())


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid YAML scalar


def to_yaml(value: Any, indent: int = 0) -> str:
    """YAML block style for dicts, lists and scalars (enough for Kubernetes resources)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item) if item != {} else '{}'}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            text = to_yaml(item, indent + 1) if isinstance(item, dict | list) else None
            if text is None:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
            else:
                lines.append(f"{pad}- {text.lstrip()}")
        return "\n".join(lines)
    return pad + _yaml_scalar(value)


def _documents(header: str, docs: list[dict[str, Any]]) -> str:
    return header + "".join(f"---\n{to_yaml(doc)}\n" for doc in docs)


def _resource(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": kind,
        "metadata": {
            "name": name.replace(".", "-").replace("_", "-"),
            "labels": {"strimzi.io/cluster": KAFKA_CLUSTER, "app.kubernetes.io/part-of": "psm"},
        },
        "spec": spec,
    }


def kafka_topics(partitions: int) -> str:
    """Strimzi KafkaTopic resources for every topic of the catalogue and its dead letters."""
    docs = []
    for topic in all_topics(with_dlq=True):
        local = topic_config(topic)  # the same retention as the local and test brokers
        config = {
            "min.insync.replicas": 2,
            "retention.ms": int(local["retention.ms"]),
            "cleanup.policy": local["cleanup.policy"],
            "max.message.bytes": int(local["max.message.bytes"]),
        }
        docs.append(
            _resource(
                "KafkaTopic",
                topic,
                {"topicName": topic, "partitions": partitions, "replicas": 3, "config": config},
            )
        )
    return _documents(
        f"# Generated by `{REGENERATE}` from shared/events/catalog.py — do not edit.\n", docs
    )


def _acl(resource_type: str, name: str, operations: list[str], pattern: str = "literal") -> Any:
    return {
        "resource": {"type": resource_type, "name": name, "patternType": pattern},
        "operations": operations,
        "host": "*",
    }


def kafka_user_acls(runtimes: list[Runtime]) -> dict[str, list[dict[str, Any]]]:
    """{user: Strimzi `simple` ACLs}: each service's follow what it publishes and consumes;
    the example agency reads public topics with groups under its own prefix.

    users.yaml is rendered from this, and tests/ops/test_kafka_acl.py creates exactly these
    ACLs on a real broker, so the file and the proof cannot drift apart.
    """
    users: dict[str, list[dict[str, Any]]] = {}
    for runtime in runtimes:
        published = sorted({e.topic for e in runtime.publishes})
        consumed = sorted(runtime.consumer.topics)
        acls = [_acl("topic", t, ["Write", "Describe", "Create"]) for t in published]
        acls += [_acl("topic", t, ["Read", "Describe", "Create"]) for t in consumed]
        acls += [_acl("topic", dlq_topic(t), ["Write", "Describe", "Create"]) for t in consumed]
        if consumed:
            acls.append(_acl("group", runtime.name, ["Read"]))
        users[runtime.name] = acls
    user, prefix = EXAMPLE_AGENCY
    agency_acls = [_acl("topic", t, ["Read", "Describe"]) for t in sorted(TOPICS)]
    agency_acls.append(_acl("group", prefix, ["Read"], pattern="prefix"))
    users[user] = agency_acls
    return users


def kafka_users(runtimes: list[Runtime]) -> str:
    """Strimzi KafkaUser resources with the ACLs of `kafka_user_acls`."""
    docs = [
        _resource(
            "KafkaUser",
            user,
            {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": acls},
            },
        )
        for user, acls in kafka_user_acls(runtimes).items()
    ]
    return _documents(
        f"# Generated by `{REGENERATE}` from the services' code — do not edit.\n"
        "# One user per service (its own topics and consumer group) and an example agency\n"
        "# (read-only on public topics, consumer groups under its own prefix).\n",
        docs,
    )


def render() -> dict[Path, str]:
    """Every generated file and its expected content."""
    runtimes = service_runtimes()
    files = {ASYNCAPI_PATH: _dump(asyncapi_document(runtimes))}
    for event_type, model in sorted(EVENT_TYPES.items()):
        files[SCHEMAS_DIR / f"{event_type}.json"] = _dump(event_schema(model))
    files[CATALOGUE_PATH] = event_catalogue()
    partitions = runtimes[0].settings.topic_partitions
    files[TOPICS_PATH] = kafka_topics(partitions)
    files[USERS_PATH] = kafka_users(runtimes)
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
    KAFKA_DIR.mkdir(parents=True, exist_ok=True)
    for stale in set(SCHEMAS_DIR.glob("*.json")) - set(files):
        stale.unlink()
    for path, text in files.items():
        path.write_text(text)
    typer.echo(f"wrote {len(files)} files (docs/, {KAFKA_DIR.relative_to(ROOT)}/)")


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


@app.command("fetch-schema")
def fetch_schema() -> None:
    """Fetch the official AsyncAPI JSON Schemas into the cache (the tests use them)."""
    path = specs_cache_dir()
    official_schema("3.0.0")
    typer.echo(f"{SPECS_PACKAGE}@{SPECS_VERSION} schemas in {path}")


if __name__ == "__main__":
    app()
