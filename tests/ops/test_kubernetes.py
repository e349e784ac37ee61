"""deploy/kubernetes: parses, matches the topic catalogue, probes and scales sensibly."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from shared.events.catalog import TOPICS, all_topics
from shared.settings import ServiceSettings
from tests.ops.support import ROOT, env_names, load_yaml, load_yaml_documents
from tools.services import SERVICE_NAMES

K8S = ROOT / "deploy/kubernetes"
#: variables no settings class reads: inputs of $(VAR) expansion, OpenSSL's CA path and
#: the directory of secret files (shared.secrets.secrets_dir)
HELPER_ENV = {
    "PSM_DB_PASSWORD",
    "PSM_KAFKA_PASSWORD",
    "PSM_TRAINING_CLIENT_SECRET",
    "PSM_NOTIFICATIONS_CLIENT_SECRET",
    "PSM_SECRETS_DIR",
    "SSL_CERT_FILE",
}
#: a variable whose value is a secret (or holds one, like a database URL's password)
SECRET_NAME = re.compile(r"PASSWORD|SECRET(?!S_DIR$)|TOKEN|_KEY$|_KEYS$|DATABASE_URL")
EXPANSION = re.compile(r"\$\(([A-Z0-9_]+)\)")


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    docs = []
    for path in kustomization["resources"]:
        assert (K8S / path).is_file(), f"kustomization lists a missing {path}"
        docs += load_yaml_documents(K8S / path)
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc
    return docs


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def test_every_yaml_file_is_listed_in_the_kustomization():
    listed = set(load_yaml(K8S / "kustomization.yaml")["resources"])
    files = {str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml")} - {"kustomization.yaml"}
    assert files == listed


def test_every_topic_of_the_catalogue_has_a_kafka_topic_with_six_partitions(resources):
    topics = {r["spec"]["topicName"]: r["spec"] for r in of_kind(resources, "KafkaTopic").values()}
    assert set(topics) == set(all_topics(with_dlq=True))
    configured = ServiceSettings.model_fields["topic_partitions"].default
    assert configured == 6
    for name, spec in topics.items():
        assert spec["partitions"] == configured, name
        assert spec["replicas"] == 3 and spec["config"]["min.insync.replicas"] == 2, name


def test_kafka_runs_in_kraft_mode_with_tls_and_scram(resources):
    [kafka] = of_kind(resources, "Kafka").values()
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert "zookeeper" not in kafka["spec"]
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == "scram-sha-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    [pool] = of_kind(resources, "KafkaNodePool").values()
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}


def _acls(user: dict[str, Any]) -> list[tuple[str, str, str, frozenset[str]]]:
    return [
        (
            a["resource"]["type"],
            a["resource"]["name"],
            a["resource"].get("patternType", "literal"),
            frozenset(a["operations"]),
        )
        for a in user["spec"]["authorization"]["acls"]
    ]


def test_each_service_has_a_scram_user_reading_only_its_own_group(resources):
    users = of_kind(resources, "KafkaUser")
    for name in SERVICE_NAMES:
        user = users[name]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        groups = [(n, p) for t, n, p, _ in _acls(user) if t == "group"]
        assert groups in ([], [(name, "literal")]), name


def test_the_example_agency_reads_public_topics_only_and_owns_a_group_prefix(resources):
    agency = of_kind(resources, "KafkaUser")["agency-bps"]
    acls = _acls(agency)
    topic_acls = {(n, p): ops for t, n, p, ops in acls if t == "topic"}
    assert set(topic_acls) == {(t, "literal") for t in TOPICS}, "public topics, no DLQ"
    assert all(ops <= {"Read", "Describe"} for ops in topic_acls.values()), "read-only"
    groups = [(n, p) for t, n, p, _ in acls if t == "group"]
    assert groups == [("bps.", "prefix")]
    assert not any(n in SERVICE_NAMES for n, _ in groups)


def _deployment(resources: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return of_kind(resources, "Deployment")[name]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_has_probes_resources_and_a_non_root_user(resources, name):
    spec = _deployment(resources, name)["spec"]["template"]["spec"]
    [container] = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert f"services.{name}.main:create_app" in container["command"]
    [migrate] = spec["initContainers"]
    assert migrate["command"] == ["python", "-m", "tools.cli", "db", "upgrade", name]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_scales_at_most_to_the_partition_count(resources, name):
    hpa = of_kind(resources, "HorizontalPodAutoscaler")[name]
    assert hpa["spec"]["scaleTargetRef"]["name"] == name
    assert hpa["spec"]["maxReplicas"] == 6
    assert of_kind(resources, "Service")[name]["spec"]["selector"] == {
        "app.kubernetes.io/name": name
    }


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_runs_the_production_profile_on_its_own_database(resources, name):
    spec = _deployment(resources, name)["spec"]["template"]["spec"]
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    prefix = name.upper() + "_"
    assert env[prefix + "ENVIRONMENT"]["value"] == "production"
    assert env[prefix + "KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert env[prefix + "KAFKA_SASL_USERNAME"]["value"] == name
    assert "secretKeyRef" in env[prefix + "KAFKA_SASL_PASSWORD"].get("valueFrom", {}) or (
        env[prefix + "KAFKA_SASL_PASSWORD"]["value"] == "$(PSM_KAFKA_PASSWORD)"
    )
    assert f"@{name}-db-rw:5432/{name}" in env[prefix + "DATABASE_URL"]["value"]
    assert env["PSM_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"{name}-db-app"
    clusters = of_kind(resources, "Cluster")
    assert clusters[f"{name}-db"]["spec"]["bootstrap"]["initdb"]["database"] == name


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_environment_variable_maps_to_a_settings_field(resources, name):
    spec = _deployment(resources, name)["spec"]["template"]["spec"]
    for container in spec["containers"] + spec["initContainers"]:
        names = {e["name"] for e in container["env"]}
        unknown = names - env_names(name) - HELPER_ENV
        assert unknown == set(), f"{name}/{container['name']}: no settings field reads these"


def literal_secrets(resources: list[dict[str, Any]]) -> list[str]:
    """Every secret a manifest writes down instead of taking it from a Secret: an env entry
    named like a secret whose value is not a secretKeyRef, or not made of $(VAR)s that are
    secretKeyRefs; any Secret with data in the manifests; any secret-looking ConfigMap key."""
    found = []
    for r in resources:
        name = f"{r['kind']}/{r['metadata']['name']}"
        if r["kind"] == "Secret" and (r.get("data") or r.get("stringData")):
            found.append(f"{name}: a Secret with its values in the repository")
        if r["kind"] == "ConfigMap":
            found += [f"{name}: {k}" for k in r.get("data", {}) if SECRET_NAME.search(k.upper())]
        pod = r.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            env = {e["name"]: e for e in container.get("env", [])}
            from_secrets = {n for n, e in env.items() if "secretKeyRef" in e.get("valueFrom", {})}
            for var, entry in env.items():
                if not SECRET_NAME.search(var) or var in from_secrets:
                    continue
                value = str(entry.get("value", ""))
                refs = set(EXPANSION.findall(value))
                if var.endswith("DATABASE_URL"):
                    password = value.split("://", 1)[-1].split("@")[0].partition(":")[2]
                    literal = password != "" and not EXPANSION.fullmatch(password)
                else:
                    literal = EXPANSION.sub("", value).strip(' {}:,"') != "" and "{" not in value
                    literal = literal or not refs
                if literal or not refs <= from_secrets:
                    found.append(f"{name}/{container['name']}: {var}")
    return found


def test_no_manifest_writes_a_secret_down(resources):
    assert literal_secrets(resources) == []


def test_a_literal_secret_in_a_manifest_is_found(resources):
    """The check above can fail: plant literals where the manifests take Secrets."""
    planted = copy.deepcopy(resources)
    registry = next(
        r for r in planted if r["kind"] == "Deployment" and r["metadata"]["name"] == "registry"
    )
    env = registry["spec"]["template"]["spec"]["containers"][0]["env"]
    for entry in env:
        if entry["name"] == "REGISTRY_NIK_ENCRYPTION_KEY":
            entry.pop("valueFrom")
            entry["value"] = "Zx81-literal-key-in-the-manifest-4t9Qw"
        if entry["name"] == "REGISTRY_DATABASE_URL":
            entry["value"] = entry["value"].replace("$(PSM_DB_PASSWORD)", "hunter2")
    planted.append({"kind": "ConfigMap", "metadata": {"name": "psm"}, "data": {"jwt-secret": "x"}})
    assert literal_secrets(planted) == [
        "Deployment/registry/registry: REGISTRY_DATABASE_URL",
        "Deployment/registry/registry: REGISTRY_NIK_ENCRYPTION_KEY",
        "ConfigMap/psm: jwt-secret",
    ]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_secret_setting_of_a_service_comes_from_a_secret(resources, name):
    """Each SecretStr setting the Deployment sets is taken from a Secret (env or file)."""
    spec = _deployment(resources, name)["spec"]["template"]["spec"]
    [container] = spec["containers"]
    env = {e["name"]: e for e in container["env"]}
    cls = __import__(f"services.{name}.config", fromlist=["Settings"]).Settings
    prefix = name.upper() + "_"
    secret_fields = [
        prefix + f.upper()
        for f, info in cls.model_fields.items()
        if "Secret" in str(info.annotation)
    ]
    for var in set(secret_fields) & set(env):
        entry = env[var]
        refs = set(EXPANSION.findall(str(entry.get("value", ""))))
        assert "secretKeyRef" in entry.get("valueFrom", {}) or refs, var
