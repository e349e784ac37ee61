"""The production profile refuses to start without TLS/SASL to Kafka or with default secrets."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import pytest
from pydantic import ValidationError

from shared.identity import SigningKey
from shared.settings import DEV_SECRET, ServiceSettings
from tests.ops.support import settings_class
from tools.services import SERVICE_NAMES


def _random() -> str:
    return secrets.token_urlsafe(32)


PG = f"postgresql+asyncpg://psm:{_random()}@db:5432/psm"
#: values production must refuse for any secret: each with the words of its reason
WEAK = {
    "dev-only-change-me": "known",
    "short-but-not-default": "shorter than 32",
    "a" * 32: "distinct",
    "Abcdefghijklmn" * 3: "short pattern",
}


def production(service: str, **overrides: Any) -> dict[str, Any]:
    """A complete production configuration of `service` (every secret set, SASL_SSL)."""
    values: dict[str, Any] = {
        "environment": "production",
        "database_url": PG,
        "kafka_bootstrap_servers": "psm-kafka-bootstrap:9093",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": service,
        "kafka_sasl_password": _random(),
    }
    if service == "registry":
        values |= {"nik_encryption_key": _random(), "nik_hash_key": _random()}
        values |= {
            "signing_keys": SigningKey.generate().pem().decode(),
            "service_client_secrets": {"training": _random(), "notifications": _random()},
            "training_url": "http://training",
            "notifications_url": "http://notifications",
        }
    else:
        values |= {
            "jwks_url": "https://registry.psm.example.id/.well-known/jwks.json",
            "revocations_url": "https://registry.psm.example.id/internal/revocations",
            "service_client_secret": _random(),
        }
    if service == "training":
        values["certificate_signing_key"] = base64.b64encode(secrets.token_bytes(32)).decode()
    if service == "notifications":
        values["training_url"] = "http://training"
        values["console_url"] = "https://psm.kemensos.example.id"
    return values | overrides


def refusal(service: str, **overrides: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings_class(service)(**production(service, **overrides))
    return str(caught.value)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_complete_production_configuration_is_accepted(service):
    settings = settings_class(service)(**production(service))
    assert settings.environment == "production"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_production_configuration_is_read_from_prefixed_environment(service, monkeypatch):
    prefix = service.upper() + "_"
    for key, value in production(service).items():
        text = json.dumps(value) if isinstance(value, dict) else str(value)
        monkeypatch.setenv(prefix + key.upper(), text)
    settings = settings_class(service)()
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_username == service


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL", "SASL_PLAINTEXT"])
def test_production_refuses_kafka_without_tls_and_sasl(service, protocol):
    assert "kafka_security_protocol must be SASL_SSL" in refusal(
        service, kafka_security_protocol=protocol
    )


@pytest.mark.parametrize("service", ["training", "notifications"])
def test_production_names_the_missing_token_settings_of_a_verifying_service(service):
    message = refusal(
        service,
        jwks_url=None,
        token_public_keys=None,
        revocations_url=None,
        service_client_secret=None,
    )
    prefix = service.upper()
    assert f"jwks_url ({prefix}_JWKS_URL) or token_public_keys" in message
    assert f"revocations_url ({prefix}_REVOCATIONS_URL) is required" in message
    assert f"service_client_secret ({prefix}_SERVICE_CLIENT_SECRET)" in message


@pytest.mark.parametrize("service", ["training", "notifications"])
@pytest.mark.parametrize("secret", WEAK)
def test_production_refuses_a_weak_service_client_secret(service, secret):
    message = refusal(service, service_client_secret=secret)
    assert f"service_client_secret ({service.upper()}_SERVICE_CLIENT_SECRET)" in message
    assert secret not in message


@pytest.mark.parametrize("service", SERVICE_NAMES)
@pytest.mark.parametrize(("secret", "reason"), list(WEAK.items()))
def test_production_refuses_a_weak_kafka_password_naming_it_without_quoting_it(
    service, secret, reason
):
    message = refusal(service, kafka_sasl_password=secret)
    assert f"kafka_sasl_password ({service.upper()}_KAFKA_SASL_PASSWORD) " in message
    assert reason in message
    assert secret not in message


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_production_refuses_a_missing_kafka_password(service):
    assert "kafka_sasl_password" in refusal(service, kafka_sasl_password=None)


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_production_refuses_a_weak_database_password(service):
    url = "postgresql+asyncpg://psm:registry-dev@db:5432/psm"
    message = refusal(service, database_url=url)
    assert f"the password in database_url ({service.upper()}_DATABASE_URL) is a known" in message
    assert "registry-dev" not in message


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_production_refuses_sqlite(service):
    assert "PostgreSQL" in refusal(service, database_url="sqlite+aiosqlite:///var/x.db")


def test_production_notifications_needs_the_training_url():
    values = production("notifications")
    del values["training_url"]
    with pytest.raises(ValidationError) as caught:
        settings_class("notifications")(**values)
    assert "training_url (NOTIFICATIONS_TRAINING_URL) is required in production" in str(
        caught.value
    )


def test_production_notifications_needs_the_console_url_its_volunteer_links_point_at():
    values = production("notifications")
    del values["console_url"]
    with pytest.raises(ValidationError) as caught:
        settings_class("notifications")(**values)
    assert "console_url (NOTIFICATIONS_CONSOLE_URL) is required in production" in str(caught.value)


def test_production_registry_needs_the_training_and_notifications_urls():
    values = production("registry")
    del values["training_url"], values["notifications_url"]
    with pytest.raises(ValidationError) as caught:
        settings_class("registry")(**values)
    for name in (
        "training_url (REGISTRY_TRAINING_URL)",
        "notifications_url (REGISTRY_NOTIFICATIONS_URL)",
    ):
        assert f"{name} is required in production" in str(caught.value)


def test_production_refuses_the_development_nik_keys():
    assert "nik_encryption_key" in refusal("registry", nik_encryption_key=DEV_SECRET)
    assert "nik_hash_key" in refusal("registry", nik_hash_key=DEV_SECRET)
    same = _random()
    assert "must all differ" in refusal("registry", nik_encryption_key=same, nik_hash_key=same)


def test_production_refuses_the_development_certificate_key():
    from services.training.domain.certificates import dev_private_key_b64

    assert "certificate_signing_key" in refusal("training", certificate_signing_key=None)
    assert "certificate_signing_key" in refusal(
        "training", certificate_signing_key=dev_private_key_b64()
    )


def test_development_keeps_its_convenient_defaults():
    settings = ServiceSettings(database_url="sqlite+aiosqlite:///var/x.db")
    assert settings.environment == "development"
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert settings.revocations_url is None  # followed elsewhere, with a warning
