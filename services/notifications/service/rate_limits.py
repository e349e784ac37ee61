"""The providers' rate limits, shared by every dispatcher of the service (all replicas).

A channel's token bucket is a row of `rate_limits` (tokens as of `refilled_at`). A
dispatcher refills and takes tokens in one write transaction: on PostgreSQL the row is
locked (`SELECT … FOR UPDATE`), on SQLite the transaction holds the file's write lock from
its `BEGIN IMMEDIATE` (`shared.sqlite`), which every process on that file respects. So the
replicas together take at most `capacity + rate × t` tokens in any `t` seconds, whatever
their number; each send spends a token taken before it.

Why tokens are taken per channel after a row's plan is known, not in the claiming
transaction: which channel a row goes by is only known once its contact, preferences and
fallback order are read. A round takes a few tokens at a time (`Allowance`: up to
`rate_limit_reserve_s` seconds of the rate, one transaction each) and gives back what it
did not spend, so a replica never runs ahead of the shared bucket by more than that.
"""

from __future__ import annotations

import math

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.db.tables import RateLimit
from services.notifications.domain.ratelimit import Taken, capacity_of, take_from
from services.notifications.state import NotificationsState
from shared.db import dialect_insert

_TABLE = RateLimit.__table__  # type: ignore[attr-defined]


async def take(state: NotificationsState, channel: str, want: int) -> Taken | None:
    """Take up to `want` tokens of `channel` from the shared bucket (None: no limit)."""
    settings = state.notifications_settings
    rate = settings.rate_limit_per_s.get(channel)
    if rate is None:
        return None
    capacity = capacity_of(rate, settings.rate_limit_burst_s)
    now = state.clock.now().timestamp()
    async with state.sessionmaker() as session, session.begin():
        tokens, refilled_at = await _locked(session, channel, capacity, now)
        taken = take_from(
            tokens, refilled_at, now=now, want=want, rate_per_s=rate, capacity=capacity
        )
        await _store(session, channel, taken.tokens, taken.refilled_at)
    return taken


async def give_back(state: NotificationsState, channel: str, count: int) -> None:
    """Return `count` unspent tokens (never above the bucket's depth)."""
    settings = state.notifications_settings
    rate = settings.rate_limit_per_s.get(channel)
    if rate is None or count <= 0:
        return
    capacity = capacity_of(rate, settings.rate_limit_burst_s)
    now = state.clock.now().timestamp()
    async with state.sessionmaker() as session, session.begin():
        tokens, refilled_at = await _locked(session, channel, capacity, now)
        now_full = take_from(
            tokens, refilled_at, now=now, want=0, rate_per_s=rate, capacity=capacity
        )
        await _store(session, channel, min(capacity, now_full.tokens + count), now_full.refilled_at)


async def _locked(
    session: AsyncSession, channel: str, capacity: float, now: float
) -> tuple[float, float]:
    query = (
        select(_TABLE.c.tokens, _TABLE.c.refilled_at)
        .where(_TABLE.c.channel == channel)
        .with_for_update()
    )
    row = (await session.execute(query)).first()
    if row is None:  # the channel's first message: a full bucket (once, whoever is first)
        insert = dialect_insert(session)(_TABLE).values(
            channel=channel, tokens=capacity, refilled_at=now
        )
        await session.execute(insert.on_conflict_do_nothing())
        row = (await session.execute(query)).one()
    return float(row.tokens), float(row.refilled_at)


async def _store(session: AsyncSession, channel: str, tokens: float, refilled_at: float) -> None:
    await session.execute(
        update(_TABLE)
        .where(_TABLE.c.channel == channel)
        .values(tokens=tokens, refilled_at=refilled_at)
    )


class Allowance:
    """One dispatcher round's tokens: taken from the shared buckets a few at a time, the
    unspent ones given back by `close`. A channel found dry stays dry for the rest of the
    round, and the rows that meet it are spread over the coming seconds (the k-th waits k
    tokens' time more), so that they do not all come due again at once."""

    def __init__(self, state: NotificationsState, *, demand: int = 1) -> None:
        self._state = state
        #: rows still to go in this round (the most tokens worth taking at once)
        self.demand = demand
        self._held: dict[str, int] = {}
        self._dry: dict[str, tuple[float, int]] = {}

    async def take(self, channel: str) -> float:
        """0.0 if `channel` may send one message now, else the seconds to defer it by."""
        settings = self._state.notifications_settings
        rate = settings.rate_limit_per_s.get(channel)
        if rate is None:
            return 0.0
        held = self._held.get(channel, 0)
        if held > 0:
            self._held[channel] = held - 1
            return 0.0
        if channel in self._dry:
            wait, queued = self._dry[channel]
            self._dry[channel] = (wait, queued + 1)
            return wait + (queued + 1) / rate if rate > 0 else wait
        quantum = max(1, math.ceil(rate * settings.rate_limit_reserve_s))
        taken = await take(self._state, channel, max(1, min(self.demand, quantum)))
        if taken is None:
            return 0.0
        if taken.granted > 0:
            self._held[channel] = taken.granted - 1
            return 0.0
        self._dry[channel] = (taken.wait_s, 0)
        return taken.wait_s

    async def close(self) -> None:
        """Give the unspent tokens back to the shared buckets."""
        held, self._held = self._held, {}
        for channel, count in held.items():
            await give_back(self._state, channel, count)
