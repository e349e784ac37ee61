"""Settings of the registry service (environment variables prefixed REGISTRY_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEV_SECRET, ServiceSettings


class Settings(ServiceSettings):
    """registry's settings: database, NIK keys, lifecycle rules, import tuning."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/registry.db"

    # Why two keys: the encryption key protects NIKs at rest; the hash key makes the lookup
    # column useless to someone who only has the database (a plain SHA-256 of 16 digits is
    # brute-forced in minutes).
    nik_encryption_key: SecretStr = SecretStr(DEV_SECRET)
    nik_hash_key: SecretStr = SecretStr(DEV_SECRET)

    #: Regencies (e.g. "32.76") whose candidates become active only after an operator
    #: verified the recommendations and the SK (decree), in addition to Bimtek dasar.
    regencies_requiring_verification: list[str] = Field(default_factory=list)
    minimum_age: int = 18
    import_chunk_size: int = 2000
    #: Files at least this large are read and validated in worker processes, chunk by chunk
    #: in turn, while this process writes: validating a row costs more CPU than writing it.
    import_worker_min_bytes: int = 1_000_000
    #: How many worker processes validate a large CSV file (XLSX: one; reading it dominates).
    import_workers: int = Field(default=2, ge=1, le=8)
    #: SQLite page cache of the connection an import writes with: the volunteers' indexes
    #: outgrow SQLite's default 2 MB at about 20,000 rows, then every insert re-reads pages
    #: (measured at 100,000 rows: +20–40 % rows per CPU-second with 64 MB). Bounded, so flat.
    import_sqlite_cache_mb: int = Field(default=64, ge=2, le=1024)
    metrics_refresh_s: float = 30.0

    # Tokens: registry is the platform's only issuer (services/registry/README.md, "Tokens").
    #: One or more concatenated PKCS#8 PEM Ed25519 private keys: the first signs, all are
    #: published in the JWKS (rotation). Without one outside production an ephemeral key is
    #: generated at start (tokens die with the process) and a warning is logged.
    signing_keys: SecretStr | None = None
    #: A JWKS (JSON) of retired public keys still published, so their tokens verify until
    #: they expire.
    retired_public_keys: str | None = None
    #: Each platform service's secret at POST /auth/token (client credentials), as a JSON
    #: object {"notifications": "…", "training": "…"}.
    service_client_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    #: Lifetime of an operator's access token (at most 15 minutes).
    access_token_ttl_s: int = Field(default=900, ge=30, le=900)
    #: Absolute lifetime of a login session and its refresh tokens (rotation does not extend it).
    refresh_token_ttl_s: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)
    #: How often registry re-reads its own revocations (other replicas' changes).
    revocation_poll_s: float = Field(default=5.0, gt=0.0, le=30.0)
    #: POST /auth/login per client address, and per email address.
    login_rate_per_minute: float = Field(default=10.0, gt=0.0)
    login_rate_burst: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _refuse_placeholder_keys(self) -> Settings:
        if self.environment != "production":
            return self
        problems = [
            f"{name} must be set to a random value of at least 32 characters"
            for name, value in (
                ("nik_encryption_key", self.nik_encryption_key),
                ("nik_hash_key", self.nik_hash_key),
            )
            if value.get_secret_value() == DEV_SECRET or len(value.get_secret_value()) < 32
        ]
        if self.nik_encryption_key.get_secret_value() == self.nik_hash_key.get_secret_value():
            problems.append("nik_encryption_key and nik_hash_key must differ")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self
