"""notifications' typed state: what its routes, handlers and the dispatcher are given."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.channels import Channel
from services.notifications.channels.dev import DevChannel
from services.notifications.channels.gateway import GatewayChannel
from services.notifications.channels.smtp import SmtpChannel
from services.notifications.config import Settings
from services.notifications.contacts import RegistryContacts
from services.notifications.domain.enums import ChannelName
from services.notifications.domain.ratelimit import TokenBucket
from services.notifications.session_texts import TrainingSessions
from shared.identity import Audience
from shared.metrics import ServiceMetrics
from shared.runtime import Runtime, ServiceState
from shared.trust import IssuerLink, ServiceTokens

DevMessages = deque[dict[str, str]]


@dataclass
class NotificationsState(ServiceState):
    """The runtime plus notifications' own parts: channels, registry's contact API,
    training's session texts, the development outbox, per-channel rate limits and the
    notifications counter; `issuer` follows registry's keys and revocations and holds
    notifications' own service token for registry (training's is a second one)."""

    channels: dict[str, Channel]
    contacts: RegistryContacts
    training: TrainingSessions
    notifications_total: Counter
    issuer: IssuerLink
    dev_messages: DevMessages = field(default_factory=lambda: deque(maxlen=500))
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    @property
    def notifications_settings(self) -> Settings:
        """The settings, typed as notifications'."""
        settings = self.runtime.settings
        if not isinstance(settings, Settings):
            raise TypeError("notifications was built with another service's settings")
        return settings

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for writing (the caller owns the transaction)."""
        return self.runtime.sessionmaker

    @property
    def read_sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        """Sessions for reading only."""
        return self.runtime.read_sessionmaker

    def bucket(self, channel: str) -> TokenBucket | None:
        """The channel's rate limit (None: unlimited); it reads time from the service clock."""
        rate = self.notifications_settings.rate_limit_per_s.get(channel)
        if rate is None:
            return None
        if channel not in self.buckets:
            self.buckets[channel] = TokenBucket(rate, now=self.clock.now())
        return self.buckets[channel]

    def count(self, channel: str, outcome: str) -> None:
        """Count a notification's outcome on a channel (psm_notifications_total)."""
        self.notifications_total.labels(channel, outcome).inc()


def build_state(
    runtime: Runtime, settings: Settings, *, channels: dict[str, Channel] | None = None
) -> NotificationsState:
    """The state of one notifications process (nothing connects yet)."""
    store: DevMessages = deque(maxlen=500)
    issuer = IssuerLink.build(runtime.name, settings, clock=runtime.clock)
    return NotificationsState(
        runtime=runtime,
        channels=channels if channels is not None else build_channels(settings, store),
        contacts=RegistryContacts(
            base_url=settings.registry_url,
            auth=issuer.tokens,
            timeout_s=settings.registry_timeout_s,
        ),
        training=TrainingSessions(
            base_url=settings.training_url,
            auth=training_tokens(issuer, settings, runtime),
            timeout_s=settings.training_timeout_s,
            clock=runtime.clock,
        ),
        notifications_total=notifications_counter(runtime.metrics),
        issuer=issuer,
        dev_messages=store,
        verifier=issuer.verifier,
        jwks=issuer.jwks,
    )


def training_tokens(
    issuer: IssuerLink, settings: Settings, runtime: Runtime
) -> ServiceTokens | None:
    """notifications' own tokens for training (audience psm-training), from the same
    client credentials as its registry tokens (None without a client secret)."""
    token_url = settings.service_token_url()
    if settings.service_client_secret is None or token_url is None:
        return None
    return ServiceTokens(
        client=issuer.client,
        token_url=token_url,
        client_id=runtime.name,
        client_secret=settings.service_client_secret,
        audience=Audience.TRAINING,
        clock=runtime.clock,
    )


def notifications_counter(metrics: ServiceMetrics) -> Counter:
    """psm_notifications_total{channel, outcome} in the service's registry."""
    return Counter(
        "psm_notifications_total",
        "Notifications by channel and outcome (sent, failed, retry, deferred, suppressed)",
        ["channel", "outcome"],
        registry=metrics.registry,
    )


def build_channels(settings: Settings, dev_store: DevMessages) -> dict[str, Channel]:
    """Dev mode: every channel is a DevChannel under the real channel's name (fallback still shows)."""
    if settings.delivery_mode == "dev":
        return {c: DevChannel(c, dev_store) for c in ChannelName}

    def gateway(name: str) -> GatewayChannel:
        return GatewayChannel(
            name,
            base_url=settings.gateway_url,
            token=settings.gateway_token.get_secret_value(),
            provider=settings.gateway_provider,
            timeout_s=settings.gateway_timeout_s,
        )

    return {
        ChannelName.WHATSAPP: gateway(ChannelName.WHATSAPP),
        ChannelName.SMS: gateway(ChannelName.SMS),
        ChannelName.EMAIL: SmtpChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            timeout_s=settings.smtp_timeout_s,
        ),
    }
