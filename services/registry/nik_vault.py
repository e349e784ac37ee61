"""NIK at rest: AES-GCM encryption for the stored value, HMAC-SHA256 for the lookup key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.registry.config import Settings

_AAD = b"psm-registry-nik-v1"


class NikVault:
    """Encrypts, decrypts and hashes NIKs with keys derived from the settings."""

    def __init__(self, settings: Settings) -> None:
        # Why derive: the settings hold passphrases of any length; AES-256 needs 32 bytes.
        enc = settings.nik_encryption_key.get_secret_value().encode()
        self._aead = AESGCM(hashlib.sha256(b"enc:" + enc).digest())
        self._hash_key = hashlib.sha256(
            b"hash:" + settings.nik_hash_key.get_secret_value().encode()
        ).digest()

    def hash(self, nik: str) -> str:
        """The keyed hash stored in the unique lookup column."""
        return hmac.digest(self._hash_key, nik.encode(), "sha256").hex()

    def encrypt(self, nik: str) -> str:
        """The NIK encrypted for storage (a fresh nonce each time)."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, nik.encode(), _AAD)).decode()

    def decrypt(self, token: str) -> str:
        """The NIK of a stored token."""
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()
