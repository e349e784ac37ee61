"""Client of training's internal session route (the only way we learn a session's title and
venue: the public events carry codes and dates, never what an operator typed).

Training answers only service tokens holding `sessions:read` for its audience
(`psm-training`); notifications obtains its own from registry's `/auth/token`
(`shared.trust.ServiceTokens`, a second instance for that audience).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import httpx

from shared.clock import SYSTEM_CLOCK, Clock


class SessionUnknown(Exception):
    """Training knows no such session (404): retrying will not help."""


class SessionTextsUnavailable(Exception):
    """Training could not answer now (network, 5xx, 401/403 misconfiguration): retry later.

    Its message names the cause (an error type or a status code), never a text."""


@dataclass(frozen=True)
class SessionTexts:
    """A session's typed names and its current place and dates, as training gives them."""

    session_id: uuid.UUID
    title: str
    venue_name: str
    start_date: date
    end_date: date
    status: str


class TrainingSessions:
    """The HTTP client of training's `GET /internal/sessions/{id}`, authenticated by `auth`
    (this service's tokens for audience psm-training; None: no token is sent and training
    refuses).

    After training could not be reached, calls fail at once for `pause_s`: a reminder fanned
    out to hundreds of people must not wait for hundreds of timeouts.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | None,
        timeout_s: float = 5.0,
        pause_s: float = 10.0,
        clock: Clock = SYSTEM_CLOCK,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=timeout_s, auth=auth, transport=transport
        )
        self._pause_s = pause_s
        self._clock = clock
        self._paused_until = 0.0

    async def session(self, session_id: uuid.UUID) -> SessionTexts:
        """The session's texts (SessionUnknown on 404, SessionTextsUnavailable otherwise)."""
        now = self._clock.now().timestamp()
        if now < self._paused_until:
            raise SessionTextsUnavailable("training unreachable a moment ago")
        try:
            answer = await self._client.get(f"/internal/sessions/{session_id}")
        except httpx.HTTPError as exc:
            self._paused_until = now + self._pause_s
            raise SessionTextsUnavailable(f"training unreachable: {type(exc).__name__}") from exc
        if answer.status_code == 404:
            raise SessionUnknown(f"training knows no session {session_id}")
        if answer.status_code != 200:
            raise SessionTextsUnavailable(f"training answered {answer.status_code}")
        try:
            data = answer.json()
            return SessionTexts(
                session_id=uuid.UUID(str(data["session_id"])),
                title=str(data["title"]),
                venue_name=str(data["venue_name"]),
                start_date=date.fromisoformat(str(data["start_date"])),
                end_date=date.fromisoformat(str(data["end_date"])),
                status=str(data["status"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SessionTextsUnavailable("training's answer is malformed") from exc

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
