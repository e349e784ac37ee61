"""Settings of the training service (environment variables prefixed TRAINING_)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.training.domain.certificates import Signer, dev_private_key_b64
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """training's settings: database, certificate signing key, verification URL, gauges."""

    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")
    follows_issuer: ClassVar[bool] = True

    database_url: str = "sqlite+aiosqlite:///var/training.db"
    #: base64 of the 32-byte Ed25519 private key that signs certificates
    certificate_signing_key: SecretStr | None = None
    #: where people verify a code (printed on certificates)
    verification_base_url: str = "http://localhost:8002/certificates/verify"
    #: how often the business gauges (sessions, certificates) are recomputed
    metrics_refresh_s: float = 30.0
    #: public routes (certificate verification, public key): requests a minute per client
    public_rate_per_minute: float = Field(default=30.0, gt=0)
    #: … and how many a client may send at once before that rate applies
    public_rate_burst: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _refuse_dev_signing_key_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        key = self.certificate_signing_key
        if key is None or key.get_secret_value() == dev_private_key_b64():
            raise ValueError(
                "unsafe production settings: certificate_signing_key must be set "
                "to a private Ed25519 key (not the development key)"
            )
        Signer.from_b64(key.get_secret_value())
        return self

    def signer(self) -> Signer:
        """The certificate signer; the well-known development key outside production."""
        key = self.certificate_signing_key
        return Signer.from_b64(key.get_secret_value() if key else dev_private_key_b64())
