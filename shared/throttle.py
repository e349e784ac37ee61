"""Per-client throttling of public routes: a token bucket per (route name, client address).

Use it as a route dependency::

    @router.get("/verify/{code}", dependencies=[Depends(throttle("certificate-verification"))])

Each client may make `burst` requests at once, then `per_minute` requests a minute; beyond
that the dependency raises `RateLimited(retry_after_s=…)`, which `shared.problems` answers
as 429 with a `Retry-After` header. A service can set the rate without code: if its
settings have `<settings_prefix>_per_minute` / `<settings_prefix>_burst` fields (by default
`public_rate_per_minute` / `public_rate_burst`), they override the defaults given here.

Why our own and not the `limits` package: `limits` reads `time.time()` itself, so a test
cannot move its time with a `FrozenClock`, and its in-memory storage runs a background timer
thread to expire keys. This is forty lines, reads the app's clock (`app.state.runtime.clock`),
and bounds its memory itself.

Memory is bounded: a bucket that has been idle long enough to refill is forgotten (it is
identical to a new one), and at most `max_clients` buckets are kept per application (the
least recently used is dropped first, which only gives that client a full bucket again).

The buckets live on the application (`app.state.throttles`), one process each: with several
replicas a client gets up to `replicas × rate`. Why not shared through the database like the
notification providers' limits: these guard public and login routes against one client's
flood, where `replicas × rate` is still a bound; a shared bucket would put a database write
(on SQLite, the file's single write lock) in front of every public request, which is the
load they exist to keep off. The client is `request.client.host`; behind a proxy, run
uvicorn with `--proxy-headers` so that it is the real client's address.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from shared.clock import SYSTEM_CLOCK, Clock
from shared.errors import RateLimited
from shared.i18n import t
from shared.problems import raises

DEFAULT_MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float  # seconds (POSIX) when `tokens` was last computed
    refill_s: float  # this bucket's own time from empty to full (burst / rate of its route)


class TokenBuckets:
    """The buckets of one application, least recently used first."""

    def __init__(self, *, max_clients: int = DEFAULT_MAX_CLIENTS) -> None:
        self.max_clients = max_clients
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: tuple[str, str], *, now: float, per_minute: float, burst: int) -> float:
        """Take one token for `key`; 0 if taken, else the seconds until one is available."""
        rate = max(per_minute, 1e-9) / 60.0
        self._evict_idle(now)
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(burst), at=now, refill_s=burst / rate)
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(burst), bucket.tokens + elapsed * rate)
        bucket.at = max(now, bucket.at)
        bucket.refill_s = burst / rate
        self._buckets[key] = bucket  # most recently used last
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate

    def _evict_idle(self, now: float) -> None:
        # Least recently used first: stop at the first bucket that is not idle long enough.
        # Why each bucket's own refill time: buckets of routes with different rates share
        # this map; judged by the caller's (faster) route, a login bucket would be dropped
        # before it had refilled, and its client would get a full burst early. A slow
        # bucket at the front may keep faster idle ones behind it a little longer: only
        # memory, which `max_clients` bounds anyway.
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if now - oldest.at < oldest.refill_s:
                return
            del self._buckets[key]


def _buckets_of(request: Request) -> TokenBuckets:
    state = request.app.state
    if not hasattr(state, "throttles"):
        state.throttles = TokenBuckets()
    buckets: TokenBuckets = state.throttles
    return buckets


def _clock_of(request: Request) -> Clock:
    runtime = getattr(request.app.state, "runtime", None)
    clock: Clock = getattr(runtime, "clock", SYSTEM_CLOCK)
    return clock


def throttle(
    name: str,
    *,
    per_minute: float = 30.0,
    burst: int = 10,
    settings_prefix: str = "public_rate",
) -> Callable[[Request], Awaitable[None]]:
    """A dependency allowing each client `burst` requests at once, then `per_minute` a minute.

    `name` groups routes that share one budget (give each public route its own name unless
    they should share). Raises `RateLimited` (429, `Retry-After`) when the client is over.
    """

    @raises(RateLimited)
    async def dependency(request: Request) -> None:
        settings = getattr(getattr(request.app.state, "runtime", None), "settings", None)
        rate = float(getattr(settings, f"{settings_prefix}_per_minute", per_minute))
        size = int(getattr(settings, f"{settings_prefix}_burst", burst))
        client = request.client.host if request.client else "unknown"
        wait = _buckets_of(request).take(
            (name, client), now=_clock_of(request).now().timestamp(), per_minute=rate, burst=size
        )
        if wait > 0:
            raise RateLimited(
                t(
                    "Terlalu banyak permintaan ke {name}: paling banyak {rate} per menit",
                    "too many requests to {name}: at most {rate} a minute",
                    name=name,
                    rate=f"{rate:g}",
                ),
                retry_after_s=round(wait, 3),
            )

    dependency.__name__ = f"throttle_{name.replace('-', '_')}"
    return dependency
