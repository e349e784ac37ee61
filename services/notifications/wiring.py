"""What the use-cases need besides a DB session: clock, channels, contacts client, metrics."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.channels import Channel
from services.notifications.channels.dev import DevChannel
from services.notifications.channels.gateway import GatewayChannel
from services.notifications.channels.ratelimit import TokenBucket
from services.notifications.channels.smtp import SmtpChannel
from services.notifications.config import Settings
from services.notifications.contacts import RegistryContacts
from services.notifications.domain.rules import CHANNELS
from shared.auth import Role, mint_token
from shared.metrics import ServiceMetrics

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    channels: dict[str, Channel]
    contacts: RegistryContacts
    notifications_total: Counter
    dev_messages: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=500))
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def bucket(self, channel: str) -> TokenBucket | None:
        rate = self.settings.rate_limit_per_s.get(channel)
        if rate is None:
            return None
        if channel not in self.buckets:
            self.buckets[channel] = TokenBucket(rate)
        return self.buckets[channel]

    def count(self, channel: str, outcome: str) -> None:
        self.notifications_total.labels(channel, outcome).inc()


def notifications_counter(metrics: ServiceMetrics) -> Counter:
    return Counter(
        "psm_notifications_total",
        "Notifications by channel and outcome (sent, failed, retry, deferred, suppressed)",
        ["channel", "outcome"],
        registry=metrics.registry,
    )


def build_channels(settings: Settings, dev_store: deque[dict[str, str]]) -> dict[str, Channel]:
    """Dev mode: every channel is a DevChannel under the real channel's name (fallback still shows)."""
    if settings.delivery_mode == "dev":
        return {c: DevChannel(c, dev_store) for c in CHANNELS}

    def gateway(name: str) -> GatewayChannel:
        return GatewayChannel(
            name,
            base_url=settings.gateway_url,
            token=settings.gateway_token.get_secret_value(),
            provider=settings.gateway_provider,
            timeout_s=settings.gateway_timeout_s,
        )

    return {
        "whatsapp": gateway("whatsapp"),
        "sms": gateway("sms"),
        "email": SmtpChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            timeout_s=settings.smtp_timeout_s,
        ),
    }


def registry_token(settings: Settings) -> str:
    """The configured service token, or (development) one minted with the shared secret."""
    token = settings.registry_token.get_secret_value()
    if token:
        return token
    return mint_token(settings, subject="notifications", role=Role.SERVICE, scope="national")


def build_deps(
    settings: Settings,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    read_sessionmaker: async_sessionmaker[AsyncSession],
    metrics: ServiceMetrics,
    clock: Clock | None = None,
    channels: dict[str, Channel] | None = None,
    **extra: Any,
) -> Deps:
    store: deque[dict[str, str]] = deque(maxlen=500)
    return Deps(
        settings=settings,
        sessionmaker=sessionmaker,
        read_sessionmaker=read_sessionmaker,
        clock=clock or utc_now,
        channels=channels if channels is not None else build_channels(settings, store),
        contacts=RegistryContacts(
            base_url=settings.registry_url,
            token=registry_token(settings),
            timeout_s=settings.registry_timeout_s,
        ),
        notifications_total=notifications_counter(metrics),
        dev_messages=store,
        **extra,
    )
