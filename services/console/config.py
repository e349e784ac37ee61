"""Settings of the console (environment variables prefixed CONSOLE_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.secrets import DEVELOPMENT_KEY, secrets_dir, weakness


class Settings(BaseSettings):
    """The console's settings: where the services are, and how sessions are kept.

    Not a `ServiceSettings`: the console owns no database and reads no topic.
    """

    model_config = SettingsConfigDict(
        env_prefix="CONSOLE_",
        extra="ignore",
        env_file=None,
        secrets_dir=secrets_dir(),
        hide_input_in_errors=True,
    )

    environment: Literal["development", "test", "production"] = "development"
    registry_url: str = "http://127.0.0.1:8001"
    training_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    #: the console's own address as people reach it (Origin checks, links in certificates)
    public_base_url: str = "http://127.0.0.1:8004"
    #: encrypts and authenticates the session cookie (AES-GCM); refused weak in production
    session_secret: SecretStr = SecretStr(DEVELOPMENT_KEY)
    #: a session without a request for this long ends (sign in again)
    idle_timeout_minutes: float = Field(default=30.0, gt=0)
    #: the access token is renewed when it expires within this many seconds
    refresh_before_s: float = Field(default=60.0, ge=0)
    #: how long the console waits for a service
    api_timeout_s: float = Field(default=30.0, gt=0)
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        """In production the session secret must be strong (the message never quotes it)."""
        if self.environment != "production":
            return self
        reason = weakness(self.session_secret.get_secret_value())
        if reason is not None:
            raise ValueError(
                f"unsafe production settings: session_secret (CONSOLE_SESSION_SECRET) {reason}"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS (production)."""
        return self.environment == "production"
