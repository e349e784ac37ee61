"""training: create_app(settings) builds the service; `app` exists only for the server."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from services.training.api import (
    certificates,
    courses,
    enrolments,
    internal,
    me,
    reports,
    session_enrolments,
    session_results,
    sessions,
    subject_records,
    volunteer_enrolments,
    volunteers,
)
from services.training.config import Settings
from services.training.db.tables import metadata
from services.training.handlers import registry_volunteers
from services.training.service import courses as course_service
from services.training.service import metrics
from services.training.state import TrainingState
from shared.clock import Clock
from shared.events.base import Event
from shared.events.training import (
    CertificateIssued,
    CertificateRevoked,
    EnrolmentCancelled,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    ParticipantEvaluated,
    SessionCancelled,
    SessionCompleted,
    SessionReopened,
    SessionRescheduled,
    SessionScheduled,
)
from shared.http import create_service_app
from shared.query_params import refuse_unknown_query_params
from shared.runtime import build_runtime
from shared.trust import IssuerLink

NAME = "training"
PUBLISHES: tuple[type[Event], ...] = (
    SessionScheduled,
    SessionRescheduled,
    SessionCancelled,
    SessionCompleted,
    SessionReopened,
    EnrolmentConfirmed,
    EnrolmentWaitlisted,
    EnrolmentCancelled,
    ParticipantEvaluated,
    CertificateIssued,
    CertificateRevoked,
)


async def seed_courses(state: TrainingState) -> None:
    """First start: the seeded courses exist (idempotent; never overwrites edits)."""
    async with state.sessionmaker() as session, session.begin():
        await course_service.seed_courses(session, now=state.clock.now())


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build training from its settings; `clock` is injectable (tests move time)."""
    settings = settings or Settings()
    runtime = build_runtime(NAME, settings, metadata=metadata, publishes=PUBLISHES, clock=clock)
    issuer = IssuerLink.build(NAME, settings, clock=runtime.clock)
    state = TrainingState(
        runtime=runtime,
        signer=settings.signer(),
        business_metrics=metrics.BusinessMetrics(runtime.metrics.registry),
        issuer=issuer,
        verifier=issuer.verifier,
        jwks=issuer.jwks,
    )
    registry_volunteers.register(runtime.consumer, state)
    return create_service_app(
        state,
        title="PSM training",
        description="Bimtek courses, sessions, enrolment, attendance, tests and certificates.",
        # a mistyped filter is a 422 naming it, never an unfiltered answer
        dependencies=[Depends(refuse_unknown_query_params)],
        routers=[
            courses.router,
            sessions.router,
            session_enrolments.router,
            session_results.router,
            enrolments.router,
            certificates.router,
            reports.router,
            volunteers.router,
            subject_records.router,
            volunteer_enrolments.router,
            internal.router,
            me.router,
        ],
        on_startup=[seed_courses],
        background=[metrics.refresh_forever, issuer.follow],
    )


def __getattr__(name: str) -> FastAPI:
    """`app` for the server, built on first access (no import-time side effects)."""
    if name == "app":
        return create_app()
    raise AttributeError(name)
