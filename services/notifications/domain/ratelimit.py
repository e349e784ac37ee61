"""Per-channel token buckets: a busy channel defers a message, it never drops it."""

from __future__ import annotations

from datetime import datetime


class TokenBucket:
    """`rate_per_s` messages a second, up to `burst` at once; time is given, never read."""

    def __init__(self, rate_per_s: float, *, now: datetime, burst: float | None = None) -> None:
        self.rate = rate_per_s
        self.capacity = burst if burst is not None else max(1.0, rate_per_s)
        self._tokens = self.capacity
        self._last = now

    def try_take(self, now: datetime) -> float:
        """0.0 if a token was taken at `now`; otherwise the seconds until one is available."""
        elapsed = max(0.0, (now - self._last).total_seconds())
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._last = max(now, self._last)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate if self.rate > 0 else 60.0
