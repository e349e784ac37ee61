"""Settings of the notifications service (environment variables prefixed NOTIFICATIONS_)."""

from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """notifications' own settings (NOTIFICATIONS_*)."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")
    follows_issuer: ClassVar[bool] = True

    database_url: str = "sqlite+aiosqlite:///var/notifications.db"

    # Contacts come from registry's internal API (see README "Contact details"), with
    # notifications' own service token (client credentials: service_client_secret).
    registry_url: str = "http://127.0.0.1:8001"
    registry_timeout_s: float = 5.0

    # A session's title and venue come from training's internal API (never from the public
    # events), with notifications' own token for audience psm-training (`sessions:read`).
    # Required in production (no loopback default there).
    training_url: str = "http://127.0.0.1:8002"
    training_timeout_s: float = 5.0
    #: how long a fetched title and venue are reused without asking training again; a
    #: `session-scheduled`/`session-rescheduled` event makes the copy stale at once
    session_texts_max_age_s: float = Field(default=300.0, ge=0.0)

    # "dev" records every message in the ledger (and the dev channel) without sending it;
    # "live" sends through SMTP and the HTTP gateway configured below.
    delivery_mode: Literal["dev", "live"] = "dev"
    default_channel_order: str = "whatsapp,sms,email"
    operator_channel_order: str = "email"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "PSM Kemensos <noreply@psm.example.id>"
    smtp_timeout_s: float = 10.0

    gateway_url: str = "http://127.0.0.1:8099"
    gateway_token: SecretStr = SecretStr("")
    gateway_provider: str = "generic"
    gateway_timeout_s: float = 10.0

    # Messages per second per channel (token bucket; a busy channel defers, never drops),
    # for the whole service: every replica takes its tokens from the same bucket, a row of
    # its database's `rate_limits` (service/rate_limits.py). A channel not listed: no limit.
    rate_limit_per_s: dict[str, float] = {"whatsapp": 20.0, "sms": 10.0, "email": 20.0}
    #: the bucket's depth, in seconds of the rate (a burst after a quiet spell; at least 1)
    rate_limit_burst_s: float = Field(default=1.0, gt=0.0)
    #: a dispatcher takes at most this many seconds of the rate at once: how far one replica
    #: may run ahead of the shared bucket (unspent tokens go back at the end of its round)
    rate_limit_reserve_s: float = Field(default=0.25, gt=0.0)

    quiet_start_hour: int = 21
    quiet_end_hour: int = 6
    reminder_days: tuple[int, ...] = (3, 1)
    reminder_local_hour: int = 9
    digest_local_hour: int = 7

    dispatch_interval_s: float = 1.0
    dispatch_batch_size: int = 100
    delivery_max_attempts: int = 6
    delivery_backoff_s: float = 30.0
    delivery_backoff_max_s: float = 3600.0
    delivery_lease_s: float = 120.0
    public_verify_url: str = "https://psm.kemensos.example.id/sertifikat"
    #: the console's address as volunteers reach it: a one-time page link is <console_url>/v/<code>
    console_url: str = "http://127.0.0.1:8004"

    @model_validator(mode="after")
    def _require_training_url_in_production(self) -> "Settings":
        # Loopback defaults would send volunteers links to nowhere and ask no training.
        if self.environment == "production":
            for name in ("training_url", "console_url"):
                if name not in self.model_fields_set:
                    raise ValueError(
                        f"unsafe production settings: {name} (NOTIFICATIONS_{name.upper()}) "
                        "is required in production"
                    )
        return self

    def service_token_url(self) -> str | None:
        """token_url, else registry's `/auth/token` at registry_url."""
        return self.token_url or self.registry_url.rstrip("/") + "/auth/token"
