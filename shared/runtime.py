"""Everything a service process runs on, built in one place from its settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from shared.clock import SYSTEM_CLOCK, Clock
from shared.consumer import EventConsumer
from shared.db import make_engine, make_read_sessionmaker, make_sessionmaker
from shared.events.base import Event
from shared.events.catalog import dlq_topic
from shared.identity import TokenVerifier
from shared.kafka import RelayProducer, make_broker
from shared.metrics import ServiceMetrics
from shared.relay import OutboxRelay
from shared.settings import ServiceSettings
from shared.trust import JwksFollower, revocations_age_gauge, settings_verifier


@dataclass
class Runtime:
    """The platform parts of one service process (database, broker, outbox, inbox, clock)."""

    name: str
    settings: ServiceSettings
    metrics: ServiceMetrics
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    broker: KafkaBroker
    producer: RelayProducer
    outbox: Table
    inbox: Table
    relay: OutboxRelay
    consumer: EventConsumer
    session_class: type[Session]
    clock: Clock
    publishes: tuple[type[Event], ...] = ()

    def topics(self) -> dict[str, int]:
        """Topics this service needs (published, consumed, and their dead-letter topics)."""
        names = {e.topic for e in self.publishes} | self.consumer.topics
        names |= {dlq_topic(t) for t in self.consumer.topics}
        return {n: self.settings.topic_partitions for n in sorted(names)}


def build_runtime(
    name: str,
    settings: ServiceSettings,
    *,
    metadata: MetaData,
    publishes: tuple[type[Event], ...] = (),
    clock: Clock | None = None,
) -> Runtime:
    """Build the platform parts of a service from its settings (nothing connects yet)."""
    metrics = ServiceMetrics(name)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    # A session class of this runtime only, so after-commit hooks never cross services in tests.
    session_class = type(f"{name.title()}Session", (Session,), {})
    sessionmaker = make_sessionmaker(engine, sync_session_class=session_class)
    read_sessionmaker = make_read_sessionmaker(engine)
    broker = make_broker(settings, service=name, metrics=metrics)
    outbox, inbox = metadata.tables["outbox"], metadata.tables["inbox"]

    clock = clock or SYSTEM_CLOCK
    producer = RelayProducer(settings, service=name)
    relay = OutboxRelay(
        sessionmaker=sessionmaker,
        read_sessionmaker=read_sessionmaker,
        outbox=outbox,
        send=producer.send,
        settings=settings,
        metrics=metrics,
        clock=clock,
    )
    consumer = EventConsumer(
        name=name,
        broker=broker,
        sessionmaker=sessionmaker,
        inbox=inbox,
        settings=settings,
        metrics=metrics,
        clock=clock,
    )
    for topic in sorted({e.topic for e in publishes}):
        models = tuple(e for e in publishes if e.topic == topic)
        broker.publisher(
            topic,
            title=f"{name}:{topic}",
            description="Event types: "
            + ", ".join(m.event_type for m in models)
            + ". Envelope in CloudEvents headers (ce_id, ce_type, ce_source, ce_time, "
            "ce_schemaversion, ce_correlationid); key = aggregate id.",
            schema=models[0] if len(models) == 1 else _union(models),
        )
    return Runtime(
        name=name,
        settings=settings,
        metrics=metrics,
        engine=engine,
        sessionmaker=sessionmaker,
        read_sessionmaker=read_sessionmaker,
        broker=broker,
        producer=producer,
        outbox=outbox,
        inbox=inbox,
        relay=relay,
        consumer=consumer,
        session_class=session_class,
        clock=clock,
        publishes=publishes,
    )


@dataclass
class ServiceState:
    """What a service's routes, handlers and background jobs are given.

    Each service subclasses it with its own typed fields (`RegistryState.vault`, …); routes
    reach it through the service's `api/deps.py`, handlers and jobs receive it when they are
    registered. One typed object instead of a dict of extras or a container per service.
    """

    runtime: Runtime
    #: checks every request's bearer token (`shared.auth`); by default built from the
    #: settings (inline keys, revocations followed elsewhere): services that follow the
    #: issuer pass their `IssuerLink`'s, registry one over its own keys and revocations
    verifier: TokenVerifier = field(default=cast(TokenVerifier, None), kw_only=True)
    #: re-reads the issuer's public keys when a token names an unknown key (None: fixed keys)
    jwks: JwksFollower | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if cast(TokenVerifier | None, self.verifier) is None:
            self.verifier = settings_verifier(
                self.runtime.name, self.runtime.settings, clock=self.clock
            )
        revocations_age_gauge(
            self.runtime.metrics.registry, lambda: self.verifier.revocations.age_s()
        )

    @property
    def settings(self) -> ServiceSettings:
        """The service's settings."""
        return self.runtime.settings

    @property
    def clock(self) -> Clock:
        """The clock every use-case of the service reads."""
        return self.runtime.clock


def _union(models: tuple[type[Event], ...]) -> Any:
    from typing import Union

    return Union[models]  # noqa: UP007 - a runtime union of classes for the schema
