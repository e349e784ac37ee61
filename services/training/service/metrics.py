"""Business gauges of training, labelled by province at most (never village or person)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from services.training.db.tables import Certificate, TrainingSession
from services.training.domain.enums import CertificateStatus
from shared.logging import get_logger

if TYPE_CHECKING:  # the state holds the gauges: importing it at run time would be circular
    from services.training.state import TrainingState

log = get_logger("training.metrics")


class BusinessMetrics:
    """The gauges psm_sessions and psm_certificates_issued."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sessions = Gauge(
            "psm_sessions",
            "Bimtek sessions by organiser province and status",
            ["province", "status"],
            registry=registry,
        )
        self.certificates = Gauge(
            "psm_certificates_issued",
            "Valid certificates by holder province and level",
            ["province", "level"],
            registry=registry,
        )

    async def refresh(self, session: AsyncSession) -> None:
        """Recompute both gauges from the database (a full snapshot, so nothing goes stale)."""
        sessions = await session.execute(
            select(TrainingSession.province_code, TrainingSession.status, func.count()).group_by(
                col(TrainingSession.province_code), col(TrainingSession.status)
            )
        )
        certs = await session.execute(
            select(Certificate.province_code, Certificate.level, func.count())
            .where(col(Certificate.status) == CertificateStatus.VALID)
            .group_by(col(Certificate.province_code), col(Certificate.level))
        )
        self.sessions.clear()
        for province, status, count in sessions:
            self.sessions.labels(province, status).set(count)
        self.certificates.clear()
        for province, level, count in certs:
            self.certificates.labels(province, level).set(count)


async def refresh_now(state: TrainingState) -> None:
    """Refresh the gauges once."""
    async with state.runtime.read_sessionmaker() as session:
        await state.business_metrics.refresh(session)


async def refresh_forever(state: TrainingState) -> None:
    """Background job: keep the gauges fresh (errors are logged, never fatal)."""
    interval = state.training_settings.metrics_refresh_s
    while True:
        try:
            await refresh_now(state)
        except Exception as exc:  # a DB hiccup must not kill the job
            log.warning("business metrics refresh failed", error=type(exc).__name__)
        await asyncio.sleep(interval)
