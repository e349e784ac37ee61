"""SMS and WhatsApp through an HTTP gateway (httpx). Providers differ only in request shape.

To add a provider, write a `Provider` (how to build the request, where the message id is in
the answer) and add it to PROVIDERS; select it with NOTIFICATIONS_GATEWAY_PROVIDER.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.notifications.channels import OutgoingMessage, PermanentError, TransientError


@dataclass(frozen=True)
class Provider:
    """How one gateway provider wants a request and where it puts the message id."""

    path: Callable[[str], str]  # channel → URL path
    payload: Callable[[str, OutgoingMessage], dict[str, Any]]
    message_id: Callable[[dict[str, Any]], str]


PROVIDERS: dict[str, Provider] = {
    # {"channel": "sms", "to": "+62…", "text": "…", "reference": "<notification id>"} → {"id": …}
    "generic": Provider(
        path=lambda channel: f"/v1/messages/{channel}",
        payload=lambda channel, m: {
            "channel": channel,
            "to": m.to,
            "text": m.body,
            "reference": m.notification_id,
        },
        message_id=lambda answer: str(answer["id"]),
    ),
    # WhatsApp Cloud API style: {"messaging_product": "whatsapp", "to", "text": {"body"}}
    "whatsapp-cloud": Provider(
        path=lambda channel: "/messages",
        payload=lambda channel, m: {
            "messaging_product": "whatsapp",
            "to": m.to.lstrip("+"),
            "type": "text",
            "text": {"body": m.body},
        },
        message_id=lambda answer: str(answer["messages"][0]["id"]),
    ),
}


class GatewayChannel:
    """SMS or WhatsApp through the configured HTTP gateway."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        token: str,
        provider: str = "generic",
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"unknown gateway provider {provider!r}; known: {sorted(PROVIDERS)}")
        self.name = name
        self._provider = PROVIDERS[provider]
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            transport=transport,
        )

    async def send(self, message: OutgoingMessage) -> str:
        """Post the message; 429/5xx/network are transient, other 4xx permanent."""
        try:
            answer = await self._client.post(
                self._provider.path(self.name), json=self._provider.payload(self.name, message)
            )
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.name} gateway timed out") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"{self.name} gateway unreachable: {type(exc).__name__}") from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise TransientError(f"{self.name} gateway answered {answer.status_code}")
        if answer.status_code >= 400:
            raise PermanentError(f"{self.name} gateway rejected the message ({answer.status_code})")
        try:
            return self._provider.message_id(answer.json())
        except (ValueError, KeyError, IndexError, TypeError):
            return f"{self.name}-unknown-id"

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
