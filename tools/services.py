"""The catalogue of services the tools know how to migrate and run."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_NAMES = ("registry", "training", "notifications")


@dataclass(frozen=True)
class ServiceSpec:
    name: str

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"

    @property
    def migrations_dir(self) -> Path:
        return ROOT / "services" / self.name / "migrations"

    @property
    def app_factory(self) -> str:
        return f"services.{self.name}.main:create_app"

    def settings(self, **overrides: object):  # type: ignore[no-untyped-def]
        module = importlib.import_module(f"services.{self.name}.config")
        return module.Settings(**overrides)


SERVICES = {name: ServiceSpec(name) for name in SERVICE_NAMES}
