"""training: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import FastAPI

from services.training.api import certificates, courses, enrolments, reports, sessions, volunteers
from services.training.config import Settings
from services.training.db.tables import metadata
from services.training.handlers import registry_volunteers
from services.training.service import courses as course_service
from services.training.service import metrics
from shared.events.training import (
    CertificateIssued,
    CertificateRevoked,
    EnrolmentCancelled,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    SessionCancelled,
    SessionCompleted,
    SessionRescheduled,
    SessionScheduled,
)
from shared.http import create_service_app
from shared.runtime import Runtime, build_runtime

NAME = "training"
PUBLISHES: tuple = (
    SessionScheduled,
    SessionRescheduled,
    SessionCancelled,
    SessionCompleted,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    EnrolmentCancelled,
    CertificateIssued,
    CertificateRevoked,
)


async def seed_courses(runtime: Runtime) -> None:
    """First start: the seeded courses exist (idempotent; never overwrites edits)."""
    async with runtime.sessionmaker() as session, session.begin():
        await course_service.seed_courses(session)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES)
    registry_volunteers.register(runtime.consumer)
    metrics.business_metrics(runtime)
    return create_service_app(
        runtime,
        title="PSM training",
        description="Bimtek courses, sessions, enrolment, attendance, tests and certificates.",
        routers=[
            courses.router,
            sessions.router,
            enrolments.router,
            certificates.router,
            reports.router,
            volunteers.router,
        ],
        on_startup=[seed_courses],
        background=[metrics.refresh_forever],
    )


def __getattr__(name: str) -> FastAPI:
    if name == "app":
        return create_app()
    raise AttributeError(name)
