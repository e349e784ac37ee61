"""Settings refuse unsafe production values; retry delays grow and are capped."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from shared.regions import level_of, parents, timezone_label, within
from shared.relay import backoff
from shared.settings import ServiceSettings


def test_production_refuses_default_secret_plaintext_kafka_and_sqlite():
    with pytest.raises(ValidationError) as err:
        ServiceSettings(environment="production", database_url="sqlite+aiosqlite:///x.db")
    text = str(err.value)
    assert "SASL_SSL" in text and "PostgreSQL" in text


def test_production_accepts_safe_settings():
    s = ServiceSettings(
        environment="production",
        database_url="postgresql+asyncpg://db/registry",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="registry",
        kafka_sasl_password=secrets.token_urlsafe(32),
    )
    assert s.environment == "production"


def test_production_refuses_sasl_without_credentials():
    with pytest.raises(ValidationError, match="kafka_sasl_username is required") as err:
        ServiceSettings(
            environment="production",
            database_url="postgresql+asyncpg://db/registry",
            kafka_security_protocol="SASL_SSL",
        )
    assert "kafka_sasl_password (KAFKA_SASL_PASSWORD) is not set" in str(err.value)


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, 0.2, 1.0) for n in range(1, 6)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_region_helpers():
    assert level_of("32") == "province" and level_of("32.76.01.1006") == "village"
    assert parents("32.76.01.1006") == {
        "province_code": "32",
        "regency_code": "32.76",
        "district_code": "32.76.01",
    }
    assert within("32.76.01.1006", "32.76") and not within("32.75.01.1001", "32.76")
    assert not within("32.760", "32.76") and within("91.01", "national")
    assert [timezone_label(p) for p in ("32", "73", "94")] == ["WIB", "WITA", "WIT"]
    with pytest.raises(ValueError):
        level_of("3276")
