"""Settings of the training service (environment variables prefixed TRAINING_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/training.db"
