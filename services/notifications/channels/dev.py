"""The development channel: stores what would have been sent (the embedded default)."""

from __future__ import annotations

import itertools
from collections import deque

from services.notifications.channels import OutgoingMessage


class DevChannel:
    """Keeps the last messages in memory (shown by GET /dev/messages); the ledger keeps all."""

    def __init__(self, name: str, store: deque[dict[str, str]]) -> None:
        self.name = name
        self._store = store
        self._ids = itertools.count(1)

    async def send(self, message: OutgoingMessage) -> str:
        """Store the message; return a made-up provider id."""
        provider_id = f"dev-{self.name}-{next(self._ids)}"
        self._store.append(
            {
                "channel": self.name,
                "provider_id": provider_id,
                "notification_id": message.notification_id,
                "template": message.template,
                "subject": message.subject,
                "body": message.body,
            }
        )
        # No log line per message: the dispatcher counts every outcome by channel
        # (psm_notifications_total) and logs one line per round (DEBUG: one per message).
        return provider_id
