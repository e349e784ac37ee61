"""Certificate numbers, verification codes and Ed25519 signatures (pure)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.training.domain.enums import CertificateStatus, PublicCertificateStatus

#: No 0/O, 1/I/L: a code read over the phone or from a photocopy stays unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
_DEV_SEED_LABEL = b"psm-training-dev-certificate-key"


def new_verification_code() -> str:
    """A fresh random code from the unambiguous alphabet."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Accept 'abcde-fghjk' as typed by a person: upper-case, no separators."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def display_code(code: str) -> str:
    """The code as printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def number_prefix(level: str, organiser_region_code: str, year: int) -> str:
    """The numbering series of a level, organiser and year (e.g. BIMTEK-DASAR/32.76/2022)."""
    region = "NASIONAL" if organiser_region_code == "national" else organiser_region_code
    return f"BIMTEK-{level.upper()}/{region}/{year}"


def certificate_number(prefix: str, serial: int) -> str:
    """The certificate number: the series and a six-digit serial."""
    return f"{prefix}/{serial:06d}"


def canonical_json(content: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8: the exact text that is signed."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dev_private_key_b64() -> str:
    """The well-known development key (refused in production)."""
    return base64.b64encode(hashlib.sha256(_DEV_SEED_LABEL).digest()).decode()


@dataclass(frozen=True)
class Signer:
    """Signs certificates with an Ed25519 private key."""

    private_key: Ed25519PrivateKey

    @classmethod
    def from_b64(cls, seed_b64: str) -> Signer:
        """A signer from the base64 of a 32-byte private key."""
        seed = base64.b64decode(seed_b64)
        if len(seed) != 32:
            raise ValueError("the Ed25519 signing key must be 32 bytes (base64 encoded)")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key_b64(self) -> str:
        """The public key, base64 (published for verifiers)."""
        raw = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    @property
    def key_id(self) -> str:
        """Short fingerprint of the public key, so a verifier knows which key signed."""
        return hashlib.sha256(base64.b64decode(self.public_key_b64)).hexdigest()[:16]

    def sign(self, canonical: str) -> str:
        """The base64 signature of the canonical text."""
        return base64.b64encode(self.private_key.sign(canonical.encode())).decode()


def verify_signature(public_key_b64: str, canonical: str, signature_b64: str) -> bool:
    """What any verifier can do offline with the published public key."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    try:
        key.verify(base64.b64decode(signature_b64), canonical.encode())
        return True
    except (InvalidSignature, ValueError):
        return False


def holder_digest(certificate_id: uuid.UUID, volunteer_id: uuid.UUID) -> str:
    """SHA-256 of 'certificate_id:volunteer_id': binds the holder without publishing the id."""
    return hashlib.sha256(f"{certificate_id}:{volunteer_id}".encode()).hexdigest()


def mask_reference(volunteer_id: str) -> str:
    """Training holds no names: a verifier sees only a masked holder reference."""
    return f"{volunteer_id[:4]}****-****-{volunteer_id[-4:]}"


def add_months(day: date, months: int) -> date:
    """The day `months` later (clamped to the 28th, so every month has it)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def public_status(status: str, valid_until: date | None, *, today: date) -> PublicCertificateStatus:
    """What a verifier sees: a valid certificate past its date shows as expired."""
    if status == CertificateStatus.VALID and valid_until is not None and valid_until < today:
        return PublicCertificateStatus.EXPIRED
    return PublicCertificateStatus(status)
