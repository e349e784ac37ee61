"""Who acts, and the signed tokens that say so.

Registry is the only issuer: it signs short-lived access tokens with an asymmetric key
(EdDSA over Ed25519) named by a key id (`kid`, the key's RFC 7638 thumbprint). Every
service verifies them with the issuer's public keys (a JWKS) and holds no signing key.
A token names its audiences (the services it may be sent to); verification enforces the
audience, the issuer, the algorithm, a maximum lifetime (15 minutes) and the issuer's
revocations (a disabled operator, a changed scope, a logout), which every service
follows within a minute.

Why PyJWT and `cryptography` rather than our own JOSE: both are maintained and already
required; PyJWT verifies EdDSA signatures from a JWK and checks issuer and audience.

No web framework here: use-cases import `Role` and `Principal` from this module; the
FastAPI dependencies that read the `Authorization` header live in `shared.auth`.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.clock import SYSTEM_CLOCK, Clock
from shared.errors import Unauthenticated, Unavailable
from shared.i18n import Text, t
from shared.ids import uuid7
from shared.regions import is_region_code, within


class Role(enum.StrEnum):
    """What a principal may do; the scope says where."""

    NATIONAL_ADMIN = "national_admin"
    PROVINCE_OPERATOR = "province_operator"
    REGENCY_OPERATOR = "regency_operator"
    VIEWER = "viewer"
    SERVICE = "service"  # another service of the platform (e.g. notifications reading contacts)
    #: a volunteer reading their own page (a one-time link); scope = subject = their id
    VOLUNTEER = "volunteer"


class Permission(enum.StrEnum):
    """What a service principal may do: each is accepted only on the routes that need it."""

    #: notifications reads volunteers' names and contact details from registry
    CONTACTS_READ = "contacts:read"
    #: training and notifications follow registry's token revocations
    REVOCATIONS_READ = "revocations:read"
    #: notifications reads a session's title, organiser and venue (never published) from training
    SESSIONS_READ = "sessions:read"
    #: registry asks notifications to send a volunteer their one-time page link
    ACCESS_LINKS_SEND = "access-links:send"


class Audience(enum.StrEnum):
    """The services a token may be presented to."""

    REGISTRY = "psm-registry"
    TRAINING = "psm-training"
    NOTIFICATIONS = "psm-notifications"


#: an operator's access token is good at every service (the console calls all three)
OPERATOR_AUDIENCES: tuple[Audience, ...] = tuple(Audience)

#: a volunteer's access token (from a one-time link) is good at every service's `/me` routes
VOLUNTEER_AUDIENCES: tuple[Audience, ...] = tuple(Audience)

#: no token lives longer, whoever signed it (verification refuses longer ones)
MAX_TOKEN_LIFETIME = timedelta(minutes=15)

#: clock skew tolerated between issuer and verifier
LEEWAY = timedelta(seconds=30)

WRITE_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.PROVINCE_OPERATOR, Role.REGENCY_OPERATOR})

_SCOPE_LEVEL = {
    Role.NATIONAL_ADMIN: "national",
    Role.PROVINCE_OPERATOR: "province",
    Role.REGENCY_OPERATOR: "regency",
    Role.SERVICE: "national",
}

#: the signature algorithms a verifier accepts (never `none`, never a shared-secret HMAC)
ALGORITHMS = ("EdDSA", "ES256")


def scope_level(scope: str) -> str:
    """`national`, `province` (e.g. `32`) or `regency` (e.g. `32.76`); ValueError otherwise."""
    if scope == "national":
        return "national"
    if not is_region_code(scope) or scope.count(".") > 1:
        raise ValueError(
            t(
                "cakupan harus 'national', provinsi seperti 32 atau kabupaten/kota seperti 32.76",
                "scope must be 'national', a province like 32 or a regency like 32.76",
            )
        )
    return "province" if "." not in scope else "regency"


def is_volunteer_scope(scope: str) -> bool:
    """Whether `scope` is a volunteer's id (a UUID in its canonical lower-case form)."""
    try:
        return str(uuid.UUID(scope)) == scope
    except ValueError:
        return False


def check_role_scope(role: Role, scope: str) -> None:
    """A national admin (and a service) is national, a province operator has a province, a
    regency operator a regency, a viewer any region scope, a volunteer their own id (and only
    a volunteer has a UUID scope); ValueError otherwise."""
    if role is Role.VOLUNTEER:
        if not is_volunteer_scope(scope):
            raise ValueError(
                t(
                    "peran volunteer memerlukan cakupan berupa id relawan itu sendiri",
                    "a volunteer needs their own id as scope",
                )
            )
        return
    level = scope_level(scope)
    expected = _SCOPE_LEVEL.get(role)
    if expected is not None and expected != level:
        raise ValueError(
            t(
                "peran {role} memerlukan cakupan {level}",
                "a {role} needs a {expected} scope",
                role=role,
                expected=expected,
                level=_LEVEL_ID[expected],
            )
        )


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a subject with a role, a region scope and, for a service,
    its permissions."""

    subject: str
    role: Role
    scope: str  # "national", a province "32" or a regency "32.76"
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    session: str | None = None  # the operator's login session (logout revokes it)
    issued_at: float = 0.0  # POSIX seconds; revocations refuse tokens issued before them

    def sees(self, region_code: str) -> bool:
        """Whether a region lies within this principal's scope (a volunteer sees no region:
        their routes look up their own id, never a region)."""
        if self.role is Role.VOLUNTEER:
            return False
        return within(region_code, self.scope)

    @property
    def can_write(self) -> bool:
        """Whether the role may change data."""
        return self.role in WRITE_ROLES

    @property
    def is_national(self) -> bool:
        """Whether the scope is the whole country."""
        return self.scope == "national"

    @property
    def is_volunteer(self) -> bool:
        """Whether the caller is a volunteer on their own page (scope = subject = own id)."""
        return self.role is Role.VOLUNTEER

    @property
    def is_service(self) -> bool:
        """Whether the caller is another service of the platform."""
        return self.role is Role.SERVICE

    def may(self, permission: Permission) -> bool:
        """Whether a service principal holds a permission."""
        return self.is_service and permission in self.permissions


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its key id (the RFC 7638 thumbprint of its public key)."""

    private: Ed25519PrivateKey
    kid: str

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random key."""
        return cls.of(Ed25519PrivateKey.generate())

    @classmethod
    def of(cls, private: Ed25519PrivateKey) -> SigningKey:
        """The key with its thumbprint as id."""
        return cls(private=private, kid=_thumbprint(private))

    @classmethod
    def from_pem(cls, data: bytes | str) -> SigningKey:
        """A key from PKCS#8 PEM (what `secrets generate` and `openssl genpkey -algorithm
        ed25519` write); ValueError when it is not an unencrypted Ed25519 private key."""
        raw = data.encode() if isinstance(data, str) else data
        key = serialization.load_pem_private_key(raw, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key (PKCS#8 PEM)")
        return cls.of(key)

    def pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (to store in a secret file)."""
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK (what the JWKS publishes)."""
        return {**_public_members(self.private), "kid": self.kid, "alg": "EdDSA", "use": "sig"}


def _public_members(private: Ed25519PrivateKey) -> dict[str, str]:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def _thumbprint(private: Ed25519PrivateKey) -> str:
    members = json.dumps(_public_members(private), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(members.encode()).digest())


class PublicKeys:
    """The issuer's public keys by key id, read from a JWKS document."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            if not isinstance(entry, Mapping) or not entry.get("kid"):
                raise ValueError("every key of the JWKS needs a kid")
            if entry.get("alg") not in ALGORITHMS:
                raise ValueError(f"key {entry['kid']}: algorithm must be one of {ALGORITHMS}")
            if "d" in entry:
                raise ValueError(f"key {entry['kid']}: a JWKS must not carry private keys")
            self._keys[str(entry["kid"])] = jwt.PyJWK(dict(entry))
        self._document = {"keys": [dict(k) for k in jwks.get("keys", [])]}

    @classmethod
    def of(cls, keys: Iterable[SigningKey]) -> PublicKeys:
        """The public halves of signing keys."""
        return cls({"keys": [k.public_jwk() for k in keys]})

    def get(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, if published."""
        return self._keys.get(kid)

    @property
    def kids(self) -> list[str]:
        """The published key ids."""
        return list(self._keys)

    def jwks(self) -> dict[str, Any]:
        """The JWKS document."""
        return self._document


class TokenIssuer:
    """Signs access tokens with the first (active) key; every key given is published, so a
    key being retired keeps verifying the tokens it signed until they expire."""

    def __init__(
        self,
        keys: Sequence[SigningKey],
        *,
        issuer: str,
        clock: Clock = SYSTEM_CLOCK,
        max_lifetime: timedelta = MAX_TOKEN_LIFETIME,
        retired: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        if not keys:
            raise ValueError("the issuer needs at least one signing key")
        self._active = keys[0]
        self._issuer = issuer
        self._clock = clock
        self._max_lifetime = max_lifetime
        self.public_keys = PublicKeys(
            {"keys": [k.public_jwk() for k in keys] + [dict(r) for r in retired]}
        )

    @property
    def issuer(self) -> str:
        """The `iss` of every token signed here."""
        return self._issuer

    @property
    def kid(self) -> str:
        """The id of the key that signs now."""
        return self._active.kid

    def mint(
        self,
        *,
        subject: str,
        role: Role | str,
        scope: str,
        audiences: Iterable[str],
        ttl: timedelta = MAX_TOKEN_LIFETIME,
        permissions: Iterable[Permission | str] = (),
        session: str | None = None,
    ) -> str:
        """A signed access token; ValueError for a lifetime above the maximum, an
        inconsistent role and scope, no audience, or permissions on a non-service."""
        role = Role(role)
        check_role_scope(role, scope)
        if role is Role.VOLUNTEER and subject != scope:
            raise ValueError("a volunteer's token names the volunteer as subject and scope")
        if not timedelta(0) < ttl <= self._max_lifetime:
            raise ValueError(f"a token lives at most {self._max_lifetime}, not {ttl}")
        aud = sorted({str(Audience(a)) for a in audiences})
        if not aud:
            raise ValueError("a token needs at least one audience")
        perms = sorted({str(Permission(p)) for p in permissions})
        if perms and role is not Role.SERVICE:
            raise ValueError("only service principals carry permissions")
        # Why milliseconds: a revocation at second t must refuse a token issued earlier in
        # that same second and accept one issued after it.
        issued = round(self._clock.now().timestamp(), 3)
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": subject,
            "aud": aud,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl.total_seconds(),
            "jti": str(uuid7()),
            "role": str(role),
            "scope": scope,
        }
        if perms:
            claims["perms"] = perms
        if session is not None:
            claims["sid"] = session
        return jwt.encode(
            claims, self._active.private, algorithm="EdDSA", headers={"kid": self._active.kid}
        )


@dataclass(frozen=True)
class Revocation:
    """Tokens of `subject` issued at or before `at` (POSIX seconds) are refused; with a
    `session`, only that login session's tokens (a logout)."""

    subject: str
    at: float
    session: str | None = None


class Revocations:
    """The issuer's recent revocations as last learned (a snapshot replaced on each poll).

    Only revocations younger than the maximum token lifetime matter: older tokens have
    expired anyway, so the snapshot stays small. A verifier refuses every token while the
    snapshot is older than `max_staleness` (fail closed: a revocation must take effect
    within a minute even when the issuer cannot be reached).
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, max_staleness: timedelta | None) -> None:
        self._clock = clock
        self._max_staleness = max_staleness
        self._subjects: dict[str, float] = {}
        self._sessions: set[str] = set()
        self._as_of: float | None = None

    @classmethod
    def followed_elsewhere(cls) -> Revocations:
        """A list that is never stale and holds nothing: for verifiers whose revocations
        are checked by other means (tests of a single service without its issuer)."""
        revocations = cls(max_staleness=None)
        revocations.replace([], as_of=0.0)
        return revocations

    def replace(self, entries: Iterable[Revocation], *, as_of: float) -> None:
        """Take a fresh snapshot, current as of `as_of` (POSIX seconds)."""
        subjects: dict[str, float] = {}
        sessions: set[str] = set()
        for entry in entries:
            if entry.session is not None:
                sessions.add(entry.session)
            else:
                subjects[entry.subject] = max(entry.at, subjects.get(entry.subject, entry.at))
        self._subjects, self._sessions, self._as_of = subjects, sessions, as_of

    @property
    def as_of(self) -> float | None:
        """When the snapshot was current (None before the first one)."""
        return self._as_of

    def age_s(self) -> float | None:
        """Seconds since the snapshot was current (None before the first one)."""
        if self._as_of is None:
            return None
        return self._clock.now().timestamp() - self._as_of

    def stale(self) -> bool:
        """Whether the snapshot is too old to trust (or there is none yet)."""
        if self._max_staleness is None:
            return self._as_of is None
        age = self.age_s()
        return age is None or age > self._max_staleness.total_seconds()

    def refuses(self, principal: Principal) -> bool:
        """Whether a principal's token has been revoked."""
        if principal.session is not None and principal.session in self._sessions:
            return True
        cutoff = self._subjects.get(principal.subject)
        return cutoff is not None and principal.issued_at <= cutoff


class UnknownKey(Unauthenticated):
    """The token names a key id the verifier does not know (yet): refresh the JWKS."""


class RevocationsUnknown(Unavailable):
    """The verifier cannot tell whether a token was revoked (the issuer is unreachable)."""


class TokenVerifier:
    """Checks tokens presented to one service (its audience) against the issuer's public
    keys and revocations, on the service's clock."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: Audience | str,
        keys: PublicKeys,
        revocations: Revocations,
        clock: Clock = SYSTEM_CLOCK,
        max_lifetime: timedelta = MAX_TOKEN_LIFETIME,
        cache_size: int = 4096,
    ) -> None:
        self.issuer = issuer
        self.audience = str(Audience(audience))
        self.keys = keys
        self.revocations = revocations
        self._clock = clock
        self._max_lifetime = max_lifetime.total_seconds()
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        """The principal of a valid, unexpired, unrevoked token for this audience;
        `Unauthenticated` (401) otherwise, `RevocationsUnknown` (503) when revocations
        cannot be confirmed."""
        principal, expires = self._checked(token)
        now = self._clock.now().timestamp()
        if now >= expires + LEEWAY.total_seconds():
            raise Unauthenticated(
                t(
                    "Token sudah kedaluwarsa; silakan masuk lagi",
                    "the bearer token has expired",
                ),
                title=INVALID_TOKEN,
            )
        if principal.issued_at > now + LEEWAY.total_seconds():
            raise Unauthenticated(
                t("Token belum berlaku", "the bearer token is not valid yet"),
                title=INVALID_TOKEN,
            )
        if self.revocations.stale():
            raise RevocationsUnknown(
                t(
                    "Belum dapat dipastikan bahwa token tidak dicabut: daftar pencabutan dari "
                    "penerbit token tidak dapat diperbarui; coba lagi sebentar lagi",
                    "cannot confirm that the token is not revoked: the issuer's revocation "
                    "list could not be refreshed; retry shortly",
                ),
                retry_after_s=10,
            )
        if self.revocations.refuses(principal):
            raise Unauthenticated(
                t(
                    "Token sudah dicabut; silakan masuk lagi",
                    "the bearer token was revoked",
                ),
                title=INVALID_TOKEN,
            )
        return principal

    def _checked(self, token: str) -> tuple[Principal, float]:
        """Signature and claims, checked once per token (an operator's console sends the
        same token for minutes); failures are not cached."""
        hit = self._cache.get(token)
        if hit is not None:
            self._cache.move_to_end(token)
            return hit
        try:
            result = self._decode(token)
        except UnknownKey:
            raise
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            reason = _reason(exc)
            raise Unauthenticated(
                t("Token ditolak: {id}", "the bearer token was rejected: {en}", **_pair(reason)),
                title=INVALID_TOKEN,
            ) from exc
        self._cache[token] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def _decode(self, token: str) -> tuple[Principal, float]:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise jwt.InvalidAlgorithmError("the algorithm is not accepted")  # see _reason
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise UnknownKey(
                t(
                    "Token ditandatangani dengan kunci yang tidak dikenal",
                    "the bearer token was signed by an unknown key",
                ),
                title=INVALID_TOKEN,
            )
        # Why PyJWT's own time checks are off: they read the wall clock; `verify` checks
        # expiry and issue time against the service's clock on every use.
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=self.audience,
            issuer=self.issuer,
            options={
                "require": ["iss", "sub", "aud", "iat", "exp", "jti", "role", "scope"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        issued, expires = float(claims["iat"]), float(claims["exp"])
        if expires - issued > self._max_lifetime:
            raise _Malformed(
                t(
                    "masa berlaku token melebihi batas maksimum",
                    "the token lives longer than the maximum lifetime",
                )
            )
        role = Role(claims["role"])
        scope = claims["scope"]
        if not isinstance(scope, str) or not isinstance(claims["sub"], str):
            raise _Malformed(
                t("klaim subjek atau cakupan tidak sah", "malformed subject or scope claim")
            )
        check_role_scope(role, scope)
        if role is Role.VOLUNTEER and claims["sub"] != scope:
            raise _Malformed(
                t(
                    "token relawan harus bersubjek dan bercakupan relawan yang sama",
                    "a volunteer's token must name the same volunteer as subject and scope",
                )
            )
        raw_perms = claims.get("perms", [])
        if not isinstance(raw_perms, list) or (raw_perms and role is not Role.SERVICE):
            raise _Malformed(t("klaim izin tidak sah", "malformed permissions claim"))
        session = claims.get("sid")
        if session is not None and not isinstance(session, str):
            raise _Malformed(t("klaim sesi tidak sah", "malformed session claim"))
        principal = Principal(
            subject=claims["sub"],
            role=role,
            scope=scope,
            permissions=frozenset(Permission(p) for p in raw_perms),
            session=session,
            issued_at=issued,
        )
        return principal, expires


#: the title of every refused token's problem
INVALID_TOKEN = Text("Token tidak sah", "Invalid token")
_LEVEL_ID = {"national": "nasional", "province": "provinsi", "regency": "kabupaten/kota"}


class _Malformed(jwt.InvalidTokenError):
    """A token whose claims break this platform's rules (the reason in both languages)."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _reason(exc: Exception) -> Text:
    """Why a token was refused, without echoing any of its content."""
    if isinstance(exc, jwt.InvalidAudienceError):
        return t(
            "token ini bukan untuk layanan ini (audience)",
            "it is not meant for this service (audience)",
        )
    if isinstance(exc, jwt.InvalidIssuerError):
        return t(
            "token ini tidak diterbitkan oleh penerbit platform ini",
            "it was not issued by this platform's issuer",
        )
    if isinstance(exc, jwt.InvalidSignatureError):
        return t("tanda tangannya tidak cocok", "the signature does not match")
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return t("klaim {claim!r} tidak ada", "the claim {claim!r} is missing", claim=exc.claim)
    if isinstance(exc, jwt.DecodeError):
        return t("bukan JWT yang sah", "it is not a well-formed JWT")
    if isinstance(exc, _Malformed):
        return exc.reason
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return t("algoritmenya tidak diterima", "the algorithm is not accepted")
    return t("klaim tidak sah ({kind})", "invalid claims ({kind})", kind=type(exc).__name__)


def _pair(text: Text) -> dict[str, str]:
    return {"id": text.id, "en": text.en}
