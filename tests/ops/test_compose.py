"""docker-compose.yml: Docker cannot run here, so check what an operator would trip over."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ops.support import ROOT, env_names, env_prefixes, load_yaml
from tools.kafka_jars import KAFKA_VERSION
from tools.services import SERVICE_NAMES

#: variables of the third-party images (not read by our settings classes)
THIRD_PARTY_ENV = ("KAFKA_", "POSTGRES_", "GF_", "MP_")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_yaml(ROOT / "docker-compose.yml")  # type: ignore[no-any-return]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_every_long_running_container_has_a_healthcheck(compose):
    missing = [
        name
        for name, svc in compose["services"].items()
        if svc.get("restart") != "no" and "healthcheck" not in svc
    ]
    assert missing == []


def test_each_platform_service_is_probed_on_health_and_runs_the_app_factory(compose):
    for name in SERVICE_NAMES:
        svc = compose["services"][name]
        assert "/health" in " ".join(svc["healthcheck"]["test"]), name
        command = " ".join(svc["command"])
        assert f"--factory services.{name}.main:create_app" in command


def test_services_start_after_topics_and_their_own_migrations(compose):
    for name in SERVICE_NAMES:
        depends = compose["services"][name]["depends_on"]
        assert depends["topics"] == {"condition": "service_completed_successfully"}
        assert depends[f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        migrate = compose["services"][f"{name}-migrate"]
        assert migrate["command"] == ["python", "-m", "tools.cli", "db", "upgrade", name]
    assert compose["services"]["topics"]["command"][-2:] == ["topics", "create"]


def test_each_service_has_its_own_postgresql(compose):
    urls = {
        name: _env(compose["services"][name])[f"{name.upper()}_DATABASE_URL"]
        for name in SERVICE_NAMES
    }
    for name, url in urls.items():
        assert url.startswith("postgresql+asyncpg://"), name
        assert f"@{name}-db:5432/{name}" in url, url
        assert compose["services"][f"{name}-db"]["image"].startswith("postgres:")


def test_kafka_is_apache_kafka_pinned_in_kraft_mode(compose):
    kafka = compose["services"]["kafka"]
    image, _, tag = kafka["image"].partition(":")
    assert image == "apache/kafka"
    assert tag and tag != "latest" and tag[0].isdigit()
    env = _env(kafka)
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_compose_runs_the_kafka_version_the_local_broker_pins(compose):
    """docker-compose's apache/kafka tag and tools/kafka/pom.xml's kafka_2.13 cannot drift:
    the tests and `make bench` must run the broker production runs."""
    tag = compose["services"]["kafka"]["image"].partition(":")[2]
    assert tag == KAFKA_VERSION


def test_every_image_is_pinned(compose):
    unpinned = [
        svc["image"]
        for svc in compose["services"].values()
        if "build" not in svc and (":" not in svc["image"] or svc["image"].endswith(":latest"))
    ]
    assert unpinned == []


def test_every_environment_variable_maps_to_a_settings_field(compose):
    prefixes = env_prefixes()
    unknown = []
    for name, svc in compose["services"].items():
        for var in _env(svc):
            prefix = next((p for p in prefixes if var.startswith(p)), None)
            if prefix is not None:
                if var not in env_names(prefixes[prefix]):
                    unknown.append(f"{name}: {var}")
            elif not var.startswith(THIRD_PARTY_ENV):
                unknown.append(f"{name}: {var} (no settings class reads it)")
    assert unknown == [], "variables no settings field reads (typo or renamed field?)"


def test_platform_services_only_get_their_own_prefix(compose):
    prefixes = env_prefixes()
    for name in SERVICE_NAMES:
        foreign = [
            v
            for v in _env(compose["services"][name])
            if prefixes.get(v.split("_")[0] + "_") != name
        ]
        assert foreign == [], name


def test_every_referenced_file_exists(compose):
    missing = []
    for name, svc in compose["services"].items():
        build = svc.get("build")
        if build:
            context = ROOT / build.get("context", ".")
            if not (context / build.get("dockerfile", "Dockerfile")).is_file():
                missing.append(f"{name}: build {build}")
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")) and not (ROOT / source).exists():
                missing.append(f"{name}: {source}")
    assert missing == []


def test_prometheus_scrapes_every_service_with_a_service_label():
    config = load_yaml(ROOT / "deploy/prometheus/prometheus.yml")
    scraped = {
        group["labels"]["service"]: group["targets"]
        for job in config["scrape_configs"]
        for group in job["static_configs"]
    }
    assert scraped == {name: [f"{name}:8000"] for name in SERVICE_NAMES}
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]


def test_dockerfile_is_multi_stage_non_root_and_installs_the_lock_file():
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    assert sum(line.startswith("FROM ") for line in lines) >= 2
    assert any(line.startswith("COPY") and line.split()[1].endswith(".lock") for line in lines)
    assert any("pip install" in line and "--require-hashes" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and not users[-1].startswith(("root", "0"))
    assert "uvicorn --factory services.${PSM_SERVICE}.main:create_app" in text
    for line in lines:
        if line.startswith("COPY ") and "--from=" not in line:
            source = line.split()[1]
            assert (ROOT / source).exists(), f"Dockerfile copies a missing {source}"
