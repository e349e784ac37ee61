"""Delivery rules as pure functions: quiet hours, reminder times, channel choice, backoff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifications.domain.enums import ChannelName

CHANNELS = tuple(ChannelName)
ALL = "*"  # in an opt-out: every category, or every channel


def quiet_until(
    now: datetime, zone: str, *, start_hour: int = 21, end_hour: int = 6
) -> datetime | None:
    """If `now` falls in the recipient's quiet hours, the (UTC-aware) moment they end; else None.

    Quiet hours wrap midnight (21:00–06:00 local): a message at 22:30 waits until 06:00 the
    next morning, one at 02:00 until 06:00 the same morning. Never dropped, only deferred.
    """
    local = now.astimezone(ZoneInfo(zone))
    hour = local.hour
    if end_hour <= hour < start_hour:
        return None
    day = local.date() if hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=ZoneInfo(zone))


def reminder_times(
    start: date, zone: str, *, days: Iterable[int] = (3, 1), local_hour: int = 9
) -> list[tuple[int, datetime]]:
    """(days before, due moment) for each reminder: `local_hour` in the venue's zone."""
    return [
        (d, datetime.combine(start - timedelta(days=d), time(local_hour), tzinfo=ZoneInfo(zone)))
        for d in days
    ]


def days_until(start: date, zone: str, now: datetime) -> int:
    """Whole days from the venue's today to the session's first day (0: it starts today)."""
    return (start - now.astimezone(ZoneInfo(zone)).date()).days


@dataclass(frozen=True)
class Address:
    """Where a person can be reached."""

    phone: str | None
    email: str | None


def address_for(channel: str, address: Address) -> str | None:
    """The address a channel sends to."""
    return address.email if channel == ChannelName.EMAIL else address.phone


def channel_plan(
    order: Iterable[str],
    *,
    address: Address,
    category: str,
    opt_outs: set[tuple[str, str]],
    critical: bool,
) -> list[str]:
    """Channels to try, in the recipient's order: reachable and not opted out of.

    A critical message ignores opt-outs (a cancelled session must reach the person).
    """
    plan = []
    for channel in order:
        if channel not in CHANNELS or address_for(channel, address) is None:
            continue
        opted_out = {(category, channel), (category, ALL), (ALL, channel), (ALL, ALL)} & opt_outs
        if opted_out and not critical:
            continue
        plan.append(channel)
    return plan


def parse_order(text: str | None, default: str) -> list[str]:
    """A stored channel order ("whatsapp,sms"), or the default one, as a list."""
    return [c.strip() for c in (text or default).split(",") if c.strip()]


def retry_delay(attempt: int, base_s: float, max_s: float) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempt - 1)))
