"""training's typed state: what its routes, handlers and background jobs are given."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.training.config import Settings
from services.training.domain.certificates import Signer
from services.training.service.metrics import BusinessMetrics
from services.training.service.sessions import SchedulingRules
from shared.runtime import ServiceState
from shared.trust import IssuerLink


@dataclass
class TrainingState(ServiceState):
    """The runtime plus training's own parts: the certificate signer, the business gauges
    and the link to registry (its keys and revocations, training's own service token)."""

    signer: Signer
    business_metrics: BusinessMetrics
    issuer: IssuerLink

    @property
    def training_settings(self) -> Settings:
        """The settings, typed as training's."""
        settings = self.runtime.settings
        if not isinstance(settings, Settings):
            raise TypeError("training was built with another service's settings")
        return settings

    def scheduling_rules(self) -> SchedulingRules:
        """Today, the configured date bounds and the holiday calendars, for scheduling."""
        settings = self.training_settings
        return SchedulingRules(
            today=self.clock.today(),
            bounds=settings.session_bounds(),
            holidays=settings.holidays(),
        )

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for writing (the caller owns the transaction)."""
        return self.runtime.sessionmaker
