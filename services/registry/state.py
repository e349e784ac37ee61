"""registry's typed state: what its routes, handlers and background jobs are given."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.config import Settings
from services.registry.nik_vault import NikVault
from services.registry.service.metrics import BusinessMetrics
from shared.runtime import ServiceState


@dataclass
class RegistryState(ServiceState):
    """The runtime plus registry's own parts: the NIK vault and the business gauges."""

    vault: NikVault
    business_metrics: BusinessMetrics

    @property
    def registry_settings(self) -> Settings:
        """The settings, typed as registry's."""
        settings = self.runtime.settings
        if not isinstance(settings, Settings):
            raise TypeError("registry's state was built with another service's settings")
        return settings
