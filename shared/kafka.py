"""Broker factory and explicit topic management (no auto-creation, partition-count check)."""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512

from shared.faststream_adapter import (
    TOPIC_ALREADY_EXISTS,
    UNKNOWN_TOPIC_OR_PARTITION,
    create_topics,
    describe_topics,
    enqueue,
)
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

DEAD_LETTER_RETENTION_MS = 30 * 24 * 3600 * 1000


def topic_config(name: str) -> dict[str, str]:
    """The configuration every topic is created with, locally and in production.

    Public topics are the replayable history agencies read from the beginning (they hold
    no personal data): kept for ever. Dead letters are kept 30 days for inspection.
    """
    retention = DEAD_LETTER_RETENTION_MS if name.endswith(".dlq") else -1
    return {
        "retention.ms": str(retention),
        "cleanup.policy": "delete",
        "max.message.bytes": "1048576",
    }


class TopicMismatchError(RuntimeError):
    """A topic exists with another partition count than configured: refuse to start."""


def _security(settings: ServiceSettings) -> Any:
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    user = settings.kafka_sasl_username or ""
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    ctx = ssl.create_default_context() if "SSL" in settings.kafka_security_protocol else None
    mechanism = (settings.kafka_sasl_mechanism or "SCRAM-SHA-512").upper()
    cls = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}.get(
        mechanism, SASLPlaintext
    )
    return cls(username=user, password=password, ssl_context=ctx)


def admin_kwargs(settings: ServiceSettings) -> dict[str, Any]:
    """Connection arguments of an aiokafka client (bootstrap, SASL/SSL) from the settings."""
    kwargs: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    if settings.kafka_security_protocol != "PLAINTEXT":
        kwargs |= {
            "security_protocol": settings.kafka_security_protocol,
            "sasl_mechanism": settings.kafka_sasl_mechanism or "SCRAM-SHA-512",
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": settings.kafka_sasl_password.get_secret_value()
            if settings.kafka_sasl_password
            else None,
        }
        if "SSL" in settings.kafka_security_protocol:
            kwargs["ssl_context"] = ssl.create_default_context()
    return kwargs


def make_broker(settings: ServiceSettings, *, service: str, metrics: ServiceMetrics) -> KafkaBroker:
    """A FastStream Kafka broker whose producer waits for all in-sync replicas.

    Why no idempotent producer: the inbox on every consumer makes duplicates harmless,
    and the outbox relay re-sends whatever was not acknowledged anyway.
    """
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        client_id=service,
        security=_security(settings),
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=service)],
        logger=logging.getLogger(f"{service}.faststream"),
        log_level=logging.DEBUG,
        description=f"Events of the PSM platform's {service} service",
    )


class RelayProducer:
    """The outbox relay's producer: acks from all in-sync replicas, no idempotence (see
    make_broker), and a short linger so a relay pass leaves in a few large produce requests
    instead of one request per event.

    Why not FastStream's publish: the relay sends thousands of events a second, and the
    per-message middleware path cost more than Kafka itself (measured in bench/).
    Created at start(): aiokafka builds its producer inside the running event loop.
    """

    def __init__(self, settings: ServiceSettings, *, service: str) -> None:
        self._settings = settings
        self._service = service
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Create and connect the producer (inside the running event loop)."""
        self._producer = AIOKafkaProducer(
            **admin_kwargs(self._settings),
            client_id=f"{self._service}-relay",
            acks="all",
            enable_idempotence=False,
            linger_ms=self._settings.kafka_linger_ms,
            max_batch_size=self._settings.kafka_max_batch_bytes,
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and close the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(
        self, topic: str, key: bytes, value: bytes, headers: dict[str, str]
    ) -> asyncio.Future[Any]:
        """Enqueue one record; the future resolves when the broker acknowledged it."""
        if self._producer is None:
            raise RuntimeError("relay producer not started")
        return await enqueue(self._producer, topic, key, value, headers)


async def ensure_topics(
    settings: ServiceSettings, topics: dict[str, int], *, replication_factor: int | None = None
) -> None:
    """Create missing topics with their partition counts; refuse a count that differs."""
    admin = AIOKafkaAdminClient(**admin_kwargs(settings))
    await admin.start()
    try:
        rf = replication_factor or settings.topic_replication_factor
        errors = await create_topics(
            admin,
            [
                NewTopic(name, partitions, rf, topic_configs=topic_config(name))
                for name, partitions in topics.items()
            ],
        )
        for name, code, message in errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"cannot create topic {name}: error {code} {message}")
        actual = await _partition_counts(admin, list(topics))
        wrong = {n: (p, actual.get(n)) for n, p in topics.items() if actual.get(n) != p}
        if wrong:
            details = ", ".join(
                f"{n} has {a} partitions, configured {p}" for n, (p, a) in wrong.items()
            )
            raise TopicMismatchError(f"topic partition count mismatch: {details}")
    finally:
        await admin.close()


async def _partition_counts(
    admin: AIOKafkaAdminClient, names: list[str], *, settle_s: float = 10.0
) -> dict[str, int]:
    """Partition count per topic as the broker reports it.

    Why wait: Apache Kafka answers CreateTopics once the controller committed the topics,
    and its metadata lags a moment behind (a just-created topic is described with 0
    partitions). A topic still at 0 after `settle_s` is reported as it is.
    """
    deadline = asyncio.get_running_loop().time() + settle_s
    while True:
        described = await describe_topics(admin, names)
        actual = {topic: partitions for topic, (_, partitions) in described.items()}
        settled = all(actual.get(n) for n in names)
        if settled or asyncio.get_running_loop().time() >= deadline:
            return actual
        await asyncio.sleep(0.05)


async def missing_or_mismatched_topics(
    settings: ServiceSettings, topics: dict[str, int], *, timeout_s: float = 3.0
) -> dict[str, str]:
    """What is wrong with `topics` on the broker: {topic: "missing" | "has N partitions,
    configured M"}; empty when every topic exists with its configured partition count.

    One metadata request for exactly these topics (no creation: auto-creation is off and
    topics are created at start-up or by the operator). Raises when the broker does not
    answer within `timeout_s` — the caller decides what an unreachable broker means.
    """
    admin = AIOKafkaAdminClient(
        **admin_kwargs(settings), request_timeout_ms=max(1000, int(timeout_s * 1000))
    )
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            found = await describe_topics(admin, sorted(topics))
    finally:
        await admin.close()
    problems: dict[str, str] = {}
    for name, expected in sorted(topics.items()):
        code, partitions = found.get(name, (UNKNOWN_TOPIC_OR_PARTITION, 0))
        if code == UNKNOWN_TOPIC_OR_PARTITION:
            problems[name] = "missing"
        elif code:
            problems[name] = f"error {code}"
        elif partitions != expected:
            problems[name] = f"has {partitions} partitions, configured {expected}"
    return problems


def describe_topic_problems(problems: dict[str, str]) -> str:
    """One line for a readiness check or a log: 'missing a, b; c has 4 partitions, …'."""
    missing = [t for t, p in problems.items() if p == "missing"]
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"{t} {p}" for t, p in problems.items() if p != "missing"]
    return "; ".join(parts)
