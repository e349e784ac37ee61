"""The signed-in operator's session, kept in one encrypted, authenticated cookie.

Why a cookie and no server-side store: the console owns no database, and several replicas
must read the same session. AES-GCM (key derived from `session_secret`) both hides the
tokens and refuses any cookie the console did not write; the cookie is HttpOnly, so page
scripts never see a token. A session without any request for `idle_timeout_minutes` ends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

COOKIE = "psm_sesi"
#: bound into every ciphertext: a cookie of another purpose never opens as a session
_AAD = b"psm-console-session-v1"
_NONCE = 12


def _new_csrf() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Session:
    """What the cookie holds: the CSRF token always; the tokens once signed in."""

    csrf: str = field(default_factory=_new_csrf)
    last_seen: float = 0.0
    access_token: str | None = None
    refresh_token: str | None = None
    #: when the access token expires (epoch seconds)
    expires_at: float = 0.0
    role: str | None = None
    scope: str | None = None
    #: the operator's email, shown in the header (never logged)
    email: str | None = None
    #: whose session: "operator" (signed in) or "volunteer" (opened with a one-time link);
    #: each kind's pages refuse the other
    kind: str = "operator"

    @property
    def signed_in(self) -> bool:
        """Whether the session carries an operator's tokens."""
        return self.access_token is not None

    def idle(self, now: float, timeout_s: float) -> bool:
        """Whether no request came for longer than the idle timeout."""
        return now - self.last_seen > timeout_s

    def touched(self, now: float) -> Session:
        """The same session, seen now."""
        return replace(self, last_seen=now)

    def csrf_matches(self, presented: str | None) -> bool:
        """Constant-time comparison of a form's token with the session's."""
        return presented is not None and hmac.compare_digest(presented, self.csrf)


class SessionCodec:
    """Seals sessions into cookie values and opens them (None for anything not ours)."""

    def __init__(self, secret: str) -> None:
        # A derived key, so the configured secret can be any length and is never used raw.
        self._aead = AESGCM(hashlib.sha256(b"psm-console-session:" + secret.encode()).digest())

    def seal(self, session: Session) -> str:
        """The cookie value of a session (URL-safe base64 of nonce + ciphertext)."""
        nonce = secrets.token_bytes(_NONCE)
        plain = json.dumps(asdict(session), separators=(",", ":")).encode()
        sealed = nonce + self._aead.encrypt(nonce, plain, _AAD)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, value: str | None) -> Session | None:
        """The session in a cookie value; None when absent, altered, or of another key."""
        if not value:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _AAD)
            data: dict[str, Any] = json.loads(plain)
            return Session(**data)
        except (binascii.Error, ValueError, InvalidTag, TypeError):
            return None
