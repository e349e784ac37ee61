"""Business gauges by province: volunteers by status, candidates awaiting verification."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from prometheus_client import Gauge
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.config import Settings
from services.registry.db.tables import Volunteer
from services.registry.domain.enums import VolunteerStatus
from shared.logging import get_logger
from shared.runtime import Runtime

if TYPE_CHECKING:
    from services.registry.state import RegistryState

log = get_logger("registry.metrics")


class BusinessMetrics:
    """Registered on the service's own registry; labels are bounded (38 provinces)."""

    def __init__(self, runtime: Runtime) -> None:
        registry = runtime.metrics.registry
        self.volunteers = Gauge(
            "psm_volunteers",
            "Volunteers by province and status",
            ["province", "status"],
            registry=registry,
        )
        self.awaiting = Gauge(
            "psm_candidates_awaiting_verification",
            "Candidates in regencies requiring operator verification, not yet verified",
            ["province"],
            registry=registry,
        )

    async def refresh(self, session: AsyncSession, settings: Settings) -> None:
        """Two cheap GROUP BYs over indexed columns."""
        live = col(Volunteer.erased_at).is_(None)
        by_status = await session.execute(
            select(col(Volunteer.province_code), col(Volunteer.status), func.count())
            .where(live)
            .group_by(col(Volunteer.province_code), col(Volunteer.status))
        )
        self.volunteers.clear()
        for province, status, n in by_status.all():
            self.volunteers.labels(province, status).set(n)
        self.awaiting.clear()
        if not settings.regencies_requiring_verification:
            return
        awaiting = await session.execute(
            select(col(Volunteer.province_code), func.count())
            .where(
                and_(
                    live,
                    col(Volunteer.status) == VolunteerStatus.CANDIDATE,
                    col(Volunteer.verified_at).is_(None),
                    col(Volunteer.regency_code).in_(settings.regencies_requiring_verification),
                )
            )
            .group_by(col(Volunteer.province_code))
        )
        for province, n in awaiting.all():
            self.awaiting.labels(province).set(n)


async def refresh_business_metrics(state: RegistryState) -> None:
    """Background job: refresh the gauges every `metrics_refresh_s`."""
    settings = state.registry_settings
    while True:
        try:
            async with state.runtime.read_sessionmaker() as session:
                await state.business_metrics.refresh(session, settings)
        except Exception as exc:  # keep the job alive; the next round retries
            log.warning("business metrics refresh failed", error=type(exc).__name__)
        await asyncio.sleep(settings.metrics_refresh_s)
