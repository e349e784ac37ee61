"""Settings of the training service (environment variables prefixed TRAINING_)."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.training.domain.certificates import Signer, dev_private_key_b64
from services.training.domain.schedule import DEFAULT_BOUNDS, DateBounds
from shared.settings import ServiceSettings

#: the holiday calendars shipped with training (see its README.md)
HOLIDAYS_DIR = Path(__file__).parent / "holidays"


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
    #: a session starts no earlier than this many days before today (back-filled batches)
    session_past_days: int = Field(default=DEFAULT_BOUNDS.past_days, ge=0, le=36500)
    #: … and no later than this many days after today (catches 2027 → 2207)
    session_future_days: int = Field(default=DEFAULT_BOUNDS.future_days, ge=0, le=3650)
    #: the longest session, in calendar days (bounds every per-day loop)
    session_max_days: int = Field(default=DEFAULT_BOUNDS.max_days, ge=1, le=366)
    #: a completed session may be re-opened for correction this many days after completion
    reopen_window_days: int = Field(default=14, ge=0, le=365)
    #: a folder of `<year>.json` holiday calendars for years lokal does not cover
    holidays_dir: Path = HOLIDAYS_DIR

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

    @model_validator(mode="after")
    def _holiday_files_readable(self) -> Settings:
        load_holidays(self.holidays_dir)  # a broken calendar stops start-up, not a request
        return self

    def session_bounds(self) -> DateBounds:
        """The configured bounds of a session's dates."""
        return DateBounds(
            past_days=self.session_past_days,
            future_days=self.session_future_days,
            max_days=self.session_max_days,
        )

    def holidays(self) -> dict[int, dict[date, list[str]]]:
        """The holiday calendars of the data files (year → day → names), read once."""
        return load_holidays(self.holidays_dir)

    def signer(self) -> Signer:
        """The certificate signer; the well-known development key outside production."""
        key = self.certificate_signing_key
        return Signer.from_b64(key.get_secret_value() if key else dev_private_key_b64())


@cache
def load_holidays(directory: Path) -> dict[int, dict[date, list[str]]]:
    """Read every `<year>.json` in `directory`: {"year", "decree", "source", "holidays":
    [{"date": "YYYY-MM-DD", "name", "type"}]}; a missing folder is no calendar."""
    calendars: dict[int, dict[date, list[str]]] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        year = int(data["year"])
        if path.stem != str(year) or not data.get("decree"):
            raise ValueError(f"{path.name}: must be named <year>.json and name its decree")
        days: dict[date, list[str]] = {}
        for item in data["holidays"]:
            day = date.fromisoformat(item["date"])
            if day.year != year:
                raise ValueError(f"{path.name}: {item['date']} is not in {year}")
            days.setdefault(day, []).append(str(item["name"]))
        calendars[year] = days
    return calendars
