"""Settings of the registry service (environment variables prefixed REGISTRY_)."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.secrets import DEVELOPMENT_KEY, weakness
from shared.settings import ServiceSettings

#: A NIK key id: stored in front of every ciphertext and hash, so short and without ":".
KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$"


class Settings(ServiceSettings):
    """registry's settings: database, NIK keys, lifecycle rules, import tuning."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/registry.db"

    # Why two keys: the encryption key protects NIKs at rest; the hash key makes the lookup
    # column useless to someone who only has the database (a plain SHA-256 of 16 digits is
    # brute-forced in minutes). Each carries an id stored with what it protects
    # (`v2:<id>:…` ciphertexts, `<id>:<hex>` hashes), so keys can be rotated: the active key
    # writes, the previous ones (JSON objects {"<id>": "<key>"}) are still read until
    # `python -m tools.cli registry rekey` moved every row to the active ones. Values stored
    # before key ids existed (no prefix) are read with whichever configured key fits.
    nik_encryption_key: SecretStr = SecretStr(DEVELOPMENT_KEY)
    nik_encryption_key_id: str = Field(default="k1", pattern=KEY_ID_PATTERN)
    nik_previous_encryption_keys: dict[str, SecretStr] = Field(default_factory=dict)
    nik_hash_key: SecretStr = SecretStr(DEVELOPMENT_KEY)
    nik_hash_key_id: str = Field(default="h1", pattern=KEY_ID_PATTERN)
    nik_previous_hash_keys: dict[str, SecretStr] = Field(default_factory=dict)
    #: rows `registry rekey` re-encrypts per transaction
    nik_rekey_chunk_size: int = Field(default=500, ge=1, le=10_000)

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
    #: A volunteer's one-time page link lives this long (POST /volunteers/{id}/access-link).
    volunteer_link_ttl_minutes: int = Field(default=1440, ge=5, le=7 * 1440)

    # Uploads and imports (bounded so that no file can exhaust memory, disk or time).
    #: The largest import upload accepted, in bytes (413 beyond it, refused while it streams).
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    #: An XLSX workbook's content once unzipped (a zip bomb is refused before it is read).
    import_max_uncompressed_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    #: Data rows and columns a list may have.
    import_max_rows: int = Field(default=200_000, ge=1)
    import_max_columns: int = Field(default=64, ge=12, le=16_384)
    #: An import `running` without progress for this long is marked `interrupted` at start-up
    #: (its process died); progress is recorded at each chunk's commit.
    import_stale_after_s: float = Field(default=900.0, gt=0)
    #: Public routes (the regions reference data): requests a minute per client, and burst.
    public_rate_per_minute: float = Field(default=120.0, gt=0)
    public_rate_burst: int = Field(default=30, ge=1)

    # A data-subject export (GET /volunteers/{id}/export) gathers what training and
    # notifications hold about the person from their `/volunteers/{id}/records`, forwarding
    # the operator's own token. Required in production (no loopback default there).
    training_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"

    @model_validator(mode="after")
    def _check_nik_keys(self) -> Settings:
        """Key ids well formed and unambiguous (always); keys strong and distinct (production).

        Messages name the setting and the key id, never a key.
        """
        problems = []
        for kind, active, previous in (
            ("encryption", self.nik_encryption_key_id, self.nik_previous_encryption_keys),
            ("hash", self.nik_hash_key_id, self.nik_previous_hash_keys),
        ):
            if active in previous:
                problems.append(
                    f"nik_previous_{kind}_keys holds the active key id {active!r} "
                    f"(nik_{kind}_key_id): give the new key a new id"
                )
            problems += [
                f"nik_previous_{kind}_keys: key id {kid!r} must match {KEY_ID_PATTERN}"
                for kid in previous
                if not re.fullmatch(KEY_ID_PATTERN, kid)
            ]
        if problems:
            raise ValueError("invalid NIK key settings: " + "; ".join(problems))
        if self.environment != "production":
            return self
        problems = [
            f"{name} ({self.env_name(name)}) is required in production"
            for name in ("training_url", "notifications_url")
            if name not in self.model_fields_set
        ]
        keys = self.nik_keys()
        problems += [
            f"{name} ({self.env_name(name.split('[')[0])}) {reason}"
            for name, value in keys
            if (reason := weakness(value)) is not None
        ]
        values = [value for _, value in keys]
        if len(set(values)) != len(values):
            problems.append(
                "nik_encryption_key, nik_hash_key and the previous NIK keys must all differ"
            )
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    def nik_keys(self) -> list[tuple[str, str]]:
        """Every configured NIK key as (setting name, value), for the checks above."""
        keys = [
            ("nik_encryption_key", self.nik_encryption_key.get_secret_value()),
            ("nik_hash_key", self.nik_hash_key.get_secret_value()),
        ]
        for kind, previous in (
            ("encryption", self.nik_previous_encryption_keys),
            ("hash", self.nik_previous_hash_keys),
        ):
            keys += [
                (f"nik_previous_{kind}_keys[{kid}]", key.get_secret_value())
                for kid, key in previous.items()
            ]
        return keys
