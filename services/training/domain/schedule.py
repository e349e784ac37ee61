"""Session dates and lifecycle rules (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
import lokal

from services.training.domain.enums import SessionStatus as S
from services.training.domain.errors import SessionRuleBroken
from shared.i18n import Text, t

#: allowed lifecycle moves: draft → open → in_progress → completed; cancel before completion
TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.OPEN, S.CANCELLED}),
    S.OPEN: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: holidays a data file adds for years lokal does not cover: year → day → names
ExtraHolidays = Mapping[int, Mapping[date, Sequence[str]]]


@dataclass(frozen=True)
class DateBounds:
    """How far back and ahead a session may start, and how long it may last (configurable)."""

    past_days: int
    future_days: int
    max_days: int


#: the defaults of training's settings (TRAINING_SESSION_PAST_DAYS, _FUTURE_DAYS, _MAX_DAYS)
DEFAULT_BOUNDS = DateBounds(past_days=3650, future_days=1095, max_days=30)


def can_move(current: str, target: S) -> bool:
    """Whether a session in status `current` may move to `target`."""
    return target in TRANSITIONS.get(S(current), frozenset())


def check_dates(start: date, end: date, *, today: date, bounds: DateBounds) -> None:
    """Refuse dates out of order, a start outside [today − past, today + future] and a session
    longer than `max_days`, naming the field (so no per-day work is ever unbounded)."""
    if end < start:
        raise SessionRuleBroken(
            "end_date", t("tidak boleh sebelum start_date", "must not be before start_date")
        )
    earliest = today - timedelta(days=bounds.past_days)
    latest = today + timedelta(days=bounds.future_days)
    if not earliest <= start <= latest:
        raise SessionRuleBroken(
            "start_date",
            t(
                "harus antara {earliest} dan {latest}",
                "must be between {earliest} and {latest}",
                earliest=earliest.isoformat(),
                latest=latest.isoformat(),
            ),
        )
    days = (end - start).days + 1
    if days > bounds.max_days:
        raise SessionRuleBroken(
            "end_date",
            t(
                "sesi paling lama {max_days} hari; sesi ini {days} hari",
                "a session lasts at most {max_days} days; this one {days}",
                max_days=bounds.max_days,
                days=days,
            ),
        )


def session_days(start: date, end: date) -> list[date]:
    """Every calendar day from `start` to `end`, both included (dates checked by check_dates)."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def holidays_on(day: date, extra: ExtraHolidays) -> list[str] | None:
    """Names of the public holidays on `day`; None when no calendar covers its year.

    Sources, first that covers the year: a data file (a corrected decree replaces the
    packages'), lokal-id (the SKB 3 Menteri of 2026–2027), then the `holidays` package's
    Indonesian calendar (libur nasional and cuti bersama, 1946–2100; days of years whose
    decree is not out yet are its estimates, named "(perkiraan)").
    """
    if day.year in extra:
        return list(extra[day.year].get(day, ()))
    try:
        return [h.name for h in lokal.holidays_on(day)]
    except ValueError:
        pass
    calendar = _open_world_calendar(day.year)
    if calendar is None:
        return None
    names = calendar.get_list(day)
    return [str(n) for n in names]


@lru_cache(maxsize=64)
def _open_world_calendar(year: int) -> holidays.HolidayBase | None:
    """The `holidays` package's calendar of Indonesia for `year` in Indonesian (public
    holidays and the government's cuti bersama), or None outside the years it knows."""
    cls = holidays.country_holidays("ID").__class__
    if not cls.start_year <= year <= cls.end_year:
        return None
    return holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )


def holiday_warnings(start: date, end: date, extra: ExtraHolidays | None = None) -> list[Text]:
    """Warnings (never errors) for days that are Indonesian public holidays, and for years
    no calendar covers (those days are not checked)."""
    warnings: list[Text] = []
    unknown_years: set[int] = set()
    for day in session_days(start, end):
        names = holidays_on(day, extra or {})
        if names is None:
            unknown_years.add(day.year)
        elif names:
            warnings.append(
                t(
                    "{day} adalah hari libur nasional: {names}",
                    "{day} is a public holiday: {names}",
                    day=day.isoformat(),
                    names=", ".join(names),
                )
            )
    for year in sorted(unknown_years):
        warnings.append(
            t(
                "kalender hari libur {year} belum tersedia; tanggal tidak diperiksa",
                "holiday calendar for {year} is not available; dates were not checked",
                year=year,
            )
        )
    return warnings
