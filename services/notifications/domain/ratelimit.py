"""Per-channel token buckets: a busy channel defers a message, it never drops it.

`take_from` is the arithmetic of the bucket every replica shares (its state is a row of
`rate_limits`, see `service/rate_limits.py`); `TokenBucket` is the same bucket held in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Taken:
    """What one take from a bucket came to: tokens granted, the bucket's new state, and the
    seconds until the next token when fewer than wanted were granted (0.0 otherwise)."""

    granted: int
    tokens: float
    refilled_at: float
    wait_s: float


def take_from(
    tokens: float,
    refilled_at: float,
    *,
    now: float,
    want: int,
    rate_per_s: float,
    capacity: float,
) -> Taken:
    """Refill a bucket held as (`tokens` at `refilled_at`, POSIX seconds) to `now` and take up
    to `want` whole tokens. A clock behind `refilled_at` (another host's, or moved back) adds
    nothing and never moves the bucket's time back: tokens are never minted twice."""
    elapsed = max(0.0, now - refilled_at)
    tokens = min(capacity, tokens + elapsed * rate_per_s)
    granted = max(0, min(want, math.floor(tokens + 1e-9)))
    tokens = max(0.0, tokens - granted)
    wait = 0.0
    if granted < want:
        wait = (1.0 - tokens) / rate_per_s if rate_per_s > 0 else 60.0
    return Taken(granted, tokens, max(now, refilled_at), max(0.0, wait))


def capacity_of(rate_per_s: float, burst_s: float) -> float:
    """A bucket's depth: `burst_s` seconds of the rate, at least one message."""
    return max(1.0, rate_per_s * burst_s)
