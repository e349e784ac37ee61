"""training's typed state: what its routes, handlers and background jobs are given."""

from __future__ import annotations

from dataclasses import dataclass

from services.training.config import Settings
from services.training.service.metrics import BusinessMetrics
from shared.runtime import ServiceState


@dataclass
class TrainingState(ServiceState):
    """The runtime plus training's own parts: the business gauges."""

    business_metrics: BusinessMetrics

    @property
    def training_settings(self) -> Settings:
        """The settings, typed as training's."""
        assert isinstance(self.runtime.settings, Settings)
        return self.runtime.settings
