"""registry's typed state: what its routes, handlers and background jobs are given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from services.registry.config import Settings
from services.registry.nik_vault import NikVault
from services.registry.service.metrics import BusinessMetrics
from services.registry.service.passwords import Passwords
from services.registry.service.tokens import OwnRevocations, parse_signing_keys, retired_keys
from shared.clock import Clock
from shared.identity import Audience, Revocations, SigningKey, TokenIssuer, TokenVerifier
from shared.logging import get_logger
from shared.runtime import Runtime, ServiceState

log = get_logger("registry.state")


@dataclass
class RegistryState(ServiceState):
    """The runtime plus registry's own parts: the NIK vault, the business gauges, and the
    token issuer with what it needs (password hashing, its own revocations)."""

    vault: NikVault
    business_metrics: BusinessMetrics
    issuer: TokenIssuer = field(kw_only=True)
    own_revocations: OwnRevocations = field(kw_only=True)
    passwords: Passwords = field(default_factory=Passwords, kw_only=True)

    @classmethod
    def build(cls, runtime: Runtime, settings: Settings) -> RegistryState:
        """The state of a registry process: the issuer from `signing_keys`, and a verifier
        (audience psm-registry) over the issuer's public keys and the revocations in this
        registry's database."""
        clock = runtime.clock
        issuer = build_issuer(settings, clock=clock)
        revocations = Revocations(
            clock=clock, max_staleness=timedelta(seconds=settings.revocation_max_staleness_s)
        )
        verifier = TokenVerifier(
            issuer=settings.token_issuer,
            audience=Audience.REGISTRY,
            keys=issuer.public_keys,
            revocations=revocations,
            clock=clock,
        )
        return cls(
            runtime=runtime,
            vault=NikVault(settings),
            business_metrics=BusinessMetrics(runtime),
            issuer=issuer,
            own_revocations=OwnRevocations(
                revocations,
                runtime.read_sessionmaker,
                clock=clock,
                poll_s=settings.revocation_poll_s,
            ),
            verifier=verifier,
        )

    @property
    def registry_settings(self) -> Settings:
        """The settings, typed as registry's."""
        settings = self.runtime.settings
        if not isinstance(settings, Settings):
            raise TypeError("registry's state was built with another service's settings")
        return settings


def build_issuer(settings: Settings, *, clock: Clock) -> TokenIssuer:
    """The issuer of `signing_keys` (the first signs, all and the retired public keys are
    published); outside production without a key, an ephemeral one (logged as a warning:
    its tokens die with the process)."""
    keys: list[SigningKey] = []
    if settings.signing_keys is not None:
        keys = [
            SigningKey.from_pem(pem)
            for pem in parse_signing_keys(settings.signing_keys.get_secret_value())
        ]
    if not keys:
        if settings.environment == "production":
            raise RuntimeError(
                "registry needs a signing key in production: set REGISTRY_SIGNING_KEYS "
                "(a PKCS#8 PEM Ed25519 private key)"
            )
        log.warning(
            "no signing key configured (REGISTRY_SIGNING_KEYS): signing with an ephemeral "
            "key; its tokens stop verifying when registry restarts"
        )
        keys = [SigningKey.generate()]
    return TokenIssuer(
        keys,
        issuer=settings.token_issuer,
        clock=clock,
        retired=retired_keys(settings.retired_public_keys),
    )
