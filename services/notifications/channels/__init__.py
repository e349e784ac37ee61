"""Channels: one interface, several ways to reach a person.

A channel either returns the provider's message id or raises `TransientError` (try again
later: 5xx, timeout, connection refused) or `PermanentError` (this address will never work
on this channel: 4xx, rejected recipient). The dispatcher owns fallback and retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message for one address on one channel."""

    notification_id: str
    to: str
    subject: str
    body: str
    template: str


class TransientError(Exception):
    """Worth retrying later."""


class PermanentError(Exception):
    """Retrying will not help on this channel."""


class Channel(Protocol):
    """A way to reach a person (dev store, HTTP gateway, SMTP)."""

    name: str

    async def send(self, message: OutgoingMessage) -> str:
        """Deliver; return the provider's message id."""
        ...
