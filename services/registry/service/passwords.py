"""Operator passwords: Argon2id hashes (argon2-cffi), computed off the event loop.

Why a thread: one Argon2id hash takes tens of milliseconds of CPU and 64 MiB by design; on
the event loop it would stall every other request meanwhile.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hash and verify passwords with one `PasswordHasher` (its parameters decide when a
    stored hash is rehashed at the next login)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Verified against when the email is unknown, so both cases cost the same time;
        # made at the first login rather than at start-up (one Argon2id hash of CPU and
        # memory that most processes — workers, replicas without logins — never need).
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        """The PHC string of a new password."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored` (constant time inside Argon2); a missing hash
        costs the same time and answers False."""
        return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(stored or self._dummy_hash(), password) and stored is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash("not the password of any account, ever")
        return self._dummy

    def needs_rehash(self, stored: str) -> bool:
        """Whether a stored hash was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored)
