"""Settings base every service extends (pydantic-settings, environment variables)."""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from shared.secrets import secrets_dir, weakness

DEV_SECRET = "dev-only-signing-key-change-me-in-production"  # noqa: S105 - refused outside development


class ServiceSettings(BaseSettings):
    """Fields common to every service; each service sets its own env prefix and database."""

    #: Secret files (compose `secrets:`, Kubernetes secret volumes) are read from
    #: `PSM_SECRETS_DIR` or /run/secrets when it exists: see `shared.secrets.secrets_dir`.
    #: Inputs are hidden from validation errors: they would quote the secrets.
    model_config = SettingsConfigDict(
        extra="ignore", env_file=None, secrets_dir=secrets_dir(), hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str
    database_pool_size: int = 10

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_request_timeout_ms: int = 10_000
    kafka_linger_ms: int = 10  # relay producer: wait this long to fill a produce request
    kafka_max_batch_bytes: int = 512 * 1024
    topic_partitions: int = 6
    topic_replication_factor: int = 1

    consumer_session_timeout_ms: int = 10_000
    consumer_heartbeat_interval_ms: int = 1_000
    consumer_max_attempts: int = 5
    consumer_batch_size: int = 200  # 1 = one transaction and one offset commit per message
    consumer_batch_timeout_ms: int = 20
    consumer_retry_backoff_s: float = 0.2
    consumer_retry_backoff_max_s: float = 5.0

    relay_batch_size: int = 500
    relay_poll_interval_s: float = 0.5
    relay_backoff_max_s: float = 10.0
    relay_publish_timeout_s: float = 15.0
    #: Published outbox rows are kept this long so that an operator can re-publish them
    #: to a broker that lost its log (`tools.cli outbox republish`); consumers' inbox rows
    #: are never deleted, so a re-published event is always recognised as a duplicate.
    outbox_retention_hours: int = Field(default=168, ge=1)
    max_event_bytes: int = 512 * 1024

    #: /ready asks the broker whether every topic exists with its partition count; the
    #: answer is reused this long (probes and scrapes stay cheap) and waited for this long.
    ready_topics_cache_s: float = Field(default=2.0, ge=0.0)
    ready_check_timeout_s: float = Field(default=3.0, gt=0.0)

    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    log_each_event: bool = True  # a DEBUG line per consumed event (at INFO: one per batch)

    # Access tokens (see `shared.identity`, `shared.trust`): registry signs them, every
    # service verifies them with registry's public keys and follows its revocations.
    #: the `iss` every token must carry
    token_issuer: str = "psm-registry"  # noqa: S105 - a name, not a secret
    #: registry's public keys (JWKS), fetched at start and every 5 minutes
    jwks_url: str | None = None
    #: the public keys inline (a JWKS JSON document): tests, air-gapped installations
    token_public_keys: str | None = None
    #: registry's revocations (`GET /internal/revocations`), polled every revocation_poll_s
    revocations_url: str | None = None
    revocation_poll_s: float = Field(default=15.0, gt=0.0)
    #: tokens are refused (503) while the last revocation list is older than this
    revocation_max_staleness_s: float = Field(default=60.0, gt=0.0)
    #: registry's client-credentials endpoint; default: `/auth/token` at jwks_url's origin
    token_url: str | None = None
    #: this service's own client secret at registry's `/auth/token`
    service_client_secret: SecretStr | None = None

    #: True for services that verify registry's tokens from afar (training, notifications):
    #: in production they must know where the keys, the revocations and their secret are.
    follows_issuer: ClassVar[bool] = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> ServiceSettings:
        """In production: Kafka over SASL_SSL, PostgreSQL, and every secret strong.

        A secret is refused when it is missing, shorter than 32 characters, a value written
        in this repository or of low entropy (`shared.secrets.weakness`); the message names
        the setting and its variable, never the value.
        """
        if self.environment != "production":
            return self
        problems = []
        # Why SASL_SSL only: events carry region codes and ids of people, and a broker
        # without authentication lets anyone on the network publish forged events.
        if self.kafka_security_protocol != "SASL_SSL":
            problems.append("kafka_security_protocol must be SASL_SSL in production")
        elif not self.kafka_sasl_username:
            problems.append("kafka_sasl_username is required with SASL_SSL")
        secrets: dict[str, str | None] = {
            "kafka_sasl_password": self._secret("kafka_sasl_password"),
        }
        if self.follows_issuer:
            problems += self._issuer_problems()
            secrets["service_client_secret"] = self._secret("service_client_secret")
        if self.database_url.startswith("sqlite"):
            problems.append("database_url must point to PostgreSQL in production")
        else:
            try:
                password = make_url(self.database_url).password
            except ArgumentError:
                problems.append("database_url is not a database URL")
            else:
                if password is not None:
                    secrets["database_url"] = str(password)
        problems += [
            f"{'the password in ' if name == 'database_url' else ''}"
            f"{name} ({self.env_name(name)}) {reason}"
            for name, value in secrets.items()
            if (reason := weakness(value)) is not None
        ]
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    def _issuer_problems(self) -> list[str]:
        problems = []
        if not (self.jwks_url or self.token_public_keys):
            problems.append(
                f"jwks_url ({self.env_name('jwks_url')}) or token_public_keys "
                f"({self.env_name('token_public_keys')}) is required in production"
            )
        if not self.revocations_url:
            problems.append(
                f"revocations_url ({self.env_name('revocations_url')}) is required in production"
            )
        return problems

    def service_token_url(self) -> str | None:
        """Where this service obtains its own token: token_url, else registry's
        `/auth/token` next to jwks_url or revocations_url (None when neither is set)."""
        if self.token_url:
            return self.token_url
        for url in (self.jwks_url, self.revocations_url):
            if url:
                parts = urlsplit(url)
                return f"{parts.scheme}://{parts.netloc}/auth/token"
        return None

    def _secret(self, name: str) -> str | None:
        value = getattr(self, name, None)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def env_name(self, field: str) -> str:
        """The environment variable (and secret file name) that sets `field`."""
        return (str(self.model_config.get("env_prefix") or "") + field).upper()

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite (development, tests)."""
        return self.database_url.startswith("sqlite")
