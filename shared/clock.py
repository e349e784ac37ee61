"""The one clock of every service: `now()` in UTC and `today()` in Indonesia's western zone.

Why injectable: rules that depend on time (age on a birth date, a session's last day, a
quiet-hours window, a retry delay) must be testable without waiting or monkeypatching.
Domain functions take `now`/`today` as arguments; use-cases and background jobs read them
from the clock the service was built with (`create_app(settings, clock=...)`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# The calendar day of the programme is the day in WIB (Jakarta), where the Ministry sits.
CALENDAR_ZONE = ZoneInfo("Asia/Jakarta")


class Clock(Protocol):
    """What a service asks of time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """The current calendar day in WIB."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in WIB."""
        return self.now().astimezone(CALENDAR_ZONE).date()


class FrozenClock:
    """A clock that moves only when told to (tests, replays)."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = (at or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self._at

    def today(self) -> date:
        """That instant's date in WIB."""
        return self._at.astimezone(CALENDAR_ZONE).date()

    def advance(self, by: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta)."""
        self._at += by

    def set(self, at: datetime) -> None:
        """Put the clock at an instant."""
        self._at = at.astimezone(UTC)


SYSTEM_CLOCK: Clock = SystemClock()
