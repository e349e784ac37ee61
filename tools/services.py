"""The catalogue of services the tools know how to migrate and run."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: the services with a database and events (migrated, topics created)
SERVICE_NAMES = ("registry", "training", "notifications")
#: every process `make run` starts: the services, then the console (pages over their APIs;
#: no database, no topic)
PROCESS_NAMES = (*SERVICE_NAMES, "console")


@dataclass(frozen=True)
class ServiceSpec:
    """A service of the platform: its name, port and where its code lives."""

    name: str

    @property
    def env_prefix(self) -> str:
        """The prefix of its environment variables (REGISTRY_, …)."""
        return self.name.upper() + "_"

    @property
    def migrations_dir(self) -> Path:
        """Its Alembic migrations directory."""
        return ROOT / "services" / self.name / "migrations"

    @property
    def app_factory(self) -> str:
        """The uvicorn factory path of its app."""
        return f"services.{self.name}.main:create_app"

    def settings(self, **overrides: object) -> Any:
        """Its Settings, with overrides (each service has its own Settings class)."""
        module = importlib.import_module(f"services.{self.name}.config")
        return module.Settings(**overrides)


SERVICES = {name: ServiceSpec(name) for name in PROCESS_NAMES}
