"""NIK at rest: AES-GCM encryption for the stored value, HMAC-SHA256 for the lookup key.

Both keys carry an id, stored with what they protect, so that they can be rotated while
the service runs:

- ciphertext `v2:<kid>:<base64(nonce + AES-GCM(nik))>`, the key id bound in as associated
  data; a value without a prefix is version 1 (before key ids) and is decrypted with
  whichever configured key authenticates it;
- lookup hash `<kid>:<hex HMAC-SHA256(nik)>`; a bare 64-hex hash is version 1.

The active keys write; the previous ones still read, and a lookup tries every configured
hash key (and the version-1 form of each) until `registry rekey` moved every row to the
active ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from services.registry.config import Settings

_AAD_V1 = b"psm-registry-nik-v1"
_V2 = "v2"


class UnknownNikKey(LookupError):
    """A stored NIK was protected by a key that is not configured (any more).

    The message names the key id only. A configuration error, not the caller's: the key
    was removed from the previous keys before `registry rekey` finished.
    """


def _aad_v2(kid: str) -> bytes:
    return b"psm-registry-nik-v2:" + kid.encode()


@dataclass(frozen=True)
class _Keys:
    encryption: dict[str, AESGCM]  # active first
    hashing: dict[str, bytes]  # active first


def _derive(settings: Settings) -> _Keys:
    # Why derive: the settings hold passphrases of any length; AES-256 needs 32 bytes.
    def aead(value: str) -> AESGCM:
        return AESGCM(hashlib.sha256(b"enc:" + value.encode()).digest())

    def mac(value: str) -> bytes:
        return hashlib.sha256(b"hash:" + value.encode()).digest()

    encryption = {
        settings.nik_encryption_key_id: aead(settings.nik_encryption_key.get_secret_value())
    }
    for kid, key in settings.nik_previous_encryption_keys.items():
        encryption.setdefault(kid, aead(key.get_secret_value()))
    hashing = {settings.nik_hash_key_id: mac(settings.nik_hash_key.get_secret_value())}
    for kid, key in settings.nik_previous_hash_keys.items():
        hashing.setdefault(kid, mac(key.get_secret_value()))
    return _Keys(encryption, hashing)


class NikVault:
    """Encrypts, decrypts and hashes NIKs with the keys of the settings (see the module)."""

    def __init__(self, settings: Settings) -> None:
        self._keys = _derive(settings)
        self.encryption_kid = settings.nik_encryption_key_id
        self.hash_kid = settings.nik_hash_key_id

    # --- writing: the active keys ------------------------------------------------------
    def hash(self, nik: str) -> str:
        """The keyed hash stored in the unique lookup column (active hash key)."""
        return f"{self.hash_kid}:{self._mac(self.hash_kid, nik)}"

    def encrypt(self, nik: str) -> str:
        """The NIK encrypted for storage with the active key (a fresh nonce each time)."""
        kid = self.encryption_kid
        nonce = os.urandom(12)
        sealed = self._keys.encryption[kid].encrypt(nonce, nik.encode(), _aad_v2(kid))
        return f"{_V2}:{kid}:{base64.b64encode(nonce + sealed).decode()}"

    # --- reading: every configured key -----------------------------------------------------
    def lookup_hashes(self, nik: str) -> list[str]:
        """Every hash a registered `nik` may be stored under: the active key's first, then
        the previous keys', then the version-1 (unprefixed) form of each."""
        macs = [(kid, self._mac(kid, nik)) for kid in self._keys.hashing]
        return [f"{kid}:{mac}" for kid, mac in macs] + [mac for _, mac in macs]

    def decrypt(self, token: str) -> str:
        """The NIK of a stored ciphertext (version 2 or 1)."""
        version, kid, body = _parts(token)
        if version == _V2:
            aead = self._keys.encryption.get(kid)
            if aead is None:
                raise UnknownNikKey(f"NIK encryption key {kid!r} is not configured")
            raw = base64.b64decode(body)
            return aead.decrypt(raw[:12], raw[12:], _aad_v2(kid)).decode()
        raw = base64.b64decode(body)
        for aead in self._keys.encryption.values():
            try:
                return aead.decrypt(raw[:12], raw[12:], _AAD_V1).decode()
            except InvalidTag:
                continue
        raise UnknownNikKey("no configured NIK encryption key opens a version-1 value")

    def is_current(self, nik_encrypted: str, nik_hash: str | None) -> bool:
        """Whether a stored pair is already under the active keys (`registry rekey` skips it)."""
        version, kid, _ = _parts(nik_encrypted)
        return (
            version == _V2
            and kid == self.encryption_kid
            and nik_hash is not None
            and nik_hash.startswith(self.hash_kid + ":")
        )

    def _mac(self, kid: str, nik: str) -> str:
        return hmac.digest(self._keys.hashing[kid], nik.encode(), "sha256").hex()


def key_ids(nik_encrypted: str, nik_hash: str | None) -> tuple[str, str]:
    """The ids of the keys a stored pair is under ("v1": stored before key ids)."""
    version, kid, _ = _parts(nik_encrypted)
    hash_kid = nik_hash.split(":", 1)[0] if nik_hash and ":" in nik_hash else "v1"
    return (kid if version == _V2 else "v1"), hash_kid


def _parts(token: str) -> tuple[str, str, str]:
    """(version, key id, body) of a stored ciphertext; base64 holds no ':'."""
    if token.startswith(_V2 + ":"):
        _, kid, body = token.split(":", 2)
        return _V2, kid, body
    return "v1", "", token


Pairs = tuple[tuple[str, str], ...]


@lru_cache(maxsize=4)
def _cached_vault(
    encryption: tuple[str, str],
    previous_encryption: Pairs,
    hashing: tuple[str, str],
    previous_hash: Pairs,
) -> NikVault:
    return NikVault(
        Settings(
            database_url="sqlite://",
            nik_encryption_key_id=encryption[0],
            nik_encryption_key=SecretStr(encryption[1]),
            nik_previous_encryption_keys={k: SecretStr(v) for k, v in previous_encryption},
            nik_hash_key_id=hashing[0],
            nik_hash_key=SecretStr(hashing[1]),
            nik_previous_hash_keys={k: SecretStr(v) for k, v in previous_hash},
        )
    )


def vault_for(settings: Settings) -> NikVault:
    """The vault of these settings' NIK keys, built once per process and key set (import
    workers validate chunk after chunk with the same settings; deriving keys costs)."""

    def pairs(keys: dict[str, SecretStr]) -> Pairs:
        return tuple((kid, key.get_secret_value()) for kid, key in keys.items())

    return _cached_vault(
        (settings.nik_encryption_key_id, settings.nik_encryption_key.get_secret_value()),
        pairs(settings.nik_previous_encryption_keys),
        (settings.nik_hash_key_id, settings.nik_hash_key.get_secret_value()),
        pairs(settings.nik_previous_hash_keys),
    )
