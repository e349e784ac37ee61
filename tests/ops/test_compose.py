"""docker-compose.yml: Docker cannot run here, so check what an operator would trip over."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.ops.support import ROOT, env_names, env_prefixes, load_yaml, settings_class
from tools.kafka_jars import KAFKA_VERSION
from tools.services import SERVICE_NAMES

#: variables of the third-party images (not read by our settings classes), and OpenSSL's
#: CA file (Python's default TLS context reads it: the broker's CA)
THIRD_PARTY_ENV = ("KAFKA_", "POSTGRES_", "GF_", "MP_", "SSL_CERT_FILE")
#: `${NAME:?message}` (required), `${NAME:-default}`, `${NAME-default}`, `${NAME}`, `$NAME`
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:\?|\?|:-|-)([^}]*))?\}")


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
            if prefixes.get(v.split("_")[0] + "_") != name and not v.startswith(THIRD_PARTY_ENV)
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


# --- the production profile -------------------------------------------------------------


def _containers_of(compose: dict[str, Any], service: str) -> list[str]:
    """The containers that load `service`'s settings: itself, its migration, the topics job."""
    return [service, f"{service}-migrate", "topics"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_platform_container_runs_the_production_profile(compose, service):
    for name in _containers_of(compose, service):
        env = _env(compose["services"][name])
        prefix = service.upper() + "_"
        assert env[prefix + "ENVIRONMENT"] == "production", name
        assert env[prefix + "KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name


def _compose_text() -> str:
    """docker-compose.yml without its comments and escaped dollars (`$$`)."""
    lines = (ROOT / "docker-compose.yml").read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#")).replace("$$", "")


def test_no_secret_has_a_default_and_a_missing_one_is_named():
    text = _compose_text()
    found = INTERPOLATION.findall(text)
    assert found, "the compose file interpolates its secrets"
    defaults = sorted({name for name, op, _ in found if op in (":-", "-")})
    assert defaults == [], "a default would run production with a value everyone knows"
    unnamed = sorted({name for name, op, message in found if op != ":?" or name not in message})
    assert unnamed == [], "each must be required (:?) with a message naming it"


def _secret_fields(service: str) -> set[str]:
    """The environment variables of `service` whose settings field holds a secret."""
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", "")).upper()
    return {
        prefix + name.upper()
        for name, info in cls.model_fields.items()
        if "Secret" in str(info.annotation) or name == "database_url"
    }


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_secret_setting_is_interpolated_never_written_in_the_file(compose, service):
    for name in _containers_of(compose, service):
        env = _env(compose["services"][name])
        literal = [v for v in _secret_fields(service) & set(env) if "${" not in env[v]]
        assert literal == [], f"{name}: secrets written in docker-compose.yml"
    for db in SERVICE_NAMES:
        password = _env(compose["services"][f"{db}-db"])["POSTGRES_PASSWORD"]
        assert password.startswith("${") and ":?" in password, db


def test_kafka_serves_the_network_over_sasl_ssl_only_with_each_services_password(compose):
    env = _env(compose["services"]["kafka"])
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    for listener in env["KAFKA_LISTENERS"].split(","):
        name, _, address = listener.partition("://")
        if not address.startswith("127.0.0.1:"):
            assert protocols[name] == "SASL_SSL", f"{listener} is reachable from the network"
    assert env["KAFKA_SSL_KEYSTORE_LOCATION"].startswith("/run/secrets/")
    jaas = env["KAFKA_LISTENER_NAME_CLIENTS_PLAIN_SASL_JAAS_CONFIG"]
    for service in SERVICE_NAMES:
        svc_env = _env(compose["services"][service])
        prefix = service.upper() + "_"
        assert svc_env[prefix + "KAFKA_SASL_USERNAME"] == service
        assert svc_env[prefix + "KAFKA_SASL_MECHANISM"] == "PLAIN"
        password = svc_env[prefix + "KAFKA_SASL_PASSWORD"]
        assert f'user_{service}="{password}"' in jaas, service
        assert svc_env["SSL_CERT_FILE"] == "/run/secrets/kafka_ca.crt"
        assert "kafka_ca.crt" in compose["services"][service]["secrets"]
    # the bootstrap address is the certificate's name (tools/secret_files.kafka_tls)
    assert {
        _env(compose["services"][s])[s.upper() + "_KAFKA_BOOTSTRAP_SERVERS"] for s in SERVICE_NAMES
    } == {"kafka:9092"}


def test_secret_files_live_in_the_git_ignored_secrets_folder(compose):
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets/" in ignored
    for name, spec in compose["secrets"].items():
        assert spec["file"].startswith("./secrets/"), name


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """What compose makes of a value: `${NAME:?message}` from `variables`, else an error
    naming it (compose stops with the message)."""

    def one(match: re.Match[str]) -> str:
        name, _, message = match.groups()
        if name not in variables:
            raise LookupError(f"required variable {name} is missing a value: {message}")
        return variables[name]

    return INTERPOLATION.sub(one, value.replace("$$", "$"))


def _compose_env(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and line[0] != "#"]
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_the_generated_secrets_start_each_service_in_production(
    compose, service, tmp_path, monkeypatch
):
    """The settings classes, given what compose gives the container: its environment
    interpolated from `secrets generate`'s compose.env and its secret files in /run/secrets."""
    from tools.secret_files import generate

    generate(tmp_path / "secrets", chown=False)
    variables = _compose_env(tmp_path / "secrets/compose.env")
    container = compose["services"][service]
    env = {k: _interpolate(v, variables) for k, v in _env(container).items()}
    run_secrets = tmp_path / "run-secrets"
    run_secrets.mkdir()
    for target in container.get("secrets", []):
        source = ROOT / compose["secrets"][target]["file"]
        (run_secrets / target).write_bytes((tmp_path / "secrets" / source.name).read_bytes())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cls = settings_class(service)
    settings = cls(_secrets_dir=run_secrets)
    assert settings.environment == "production"
    if service == "registry" and "signing_keys" in cls.model_fields:
        pem = settings.signing_keys.get_secret_value()
        assert pem.startswith("-----BEGIN PRIVATE KEY-----"), "read from /run/secrets"


def test_a_missing_secret_is_named_by_the_interpolation(compose):
    value = _env(compose["services"]["registry"])["REGISTRY_NIK_ENCRYPTION_KEY"]
    with pytest.raises(LookupError, match="PSM_NIK_ENCRYPTION_KEY"):
        _interpolate(value, {})


def test_secrets_generate_writes_private_strong_files_and_keeps_existing_ones(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from shared.secrets import weakness
    from tools.secret_files import generate

    out = tmp_path / "secrets"
    first = generate(out, chown=False)
    assert all(w.created for w in first)
    for w in first:
        mode = stat.S_IMODE(w.path.stat().st_mode)
        assert mode == (0o644 if w.path.name == "kafka_ca.crt" else 0o600), w.path.name
    variables = _compose_env(out / "compose.env")
    weak = {k: weakness(v) for k, v in variables.items() if weakness(v)}
    assert weak == {}
    needed = {name for name, _, _ in INTERPOLATION.findall(_compose_text())}
    assert needed <= set(variables), "compose.env sets every variable the compose file needs"
    key = load_pem_private_key((out / "registry_signing_key.pem").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    ca = x509.load_pem_x509_certificate((out / "kafka_ca.crt").read_bytes())
    broker = x509.load_pem_x509_certificate((out / "kafka_broker.pem").read_bytes())
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["kafka"]
    before = (out / "compose.env").read_text()
    again = generate(out, chown=False)
    assert not any(w.created for w in again) and (out / "compose.env").read_text() == before
