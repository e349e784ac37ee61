"""Session dates and lifecycle rules (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import lokal

from services.training.domain.enums import SessionStatus as S

#: allowed lifecycle moves: draft → open → in_progress → completed; cancel before completion
TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.OPEN, S.CANCELLED}),
    S.OPEN: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


def can_move(current: str, target: S) -> bool:
    """Whether a session in status `current` may move to `target`."""
    return target in TRANSITIONS.get(S(current), frozenset())


def session_days(start: date, end: date) -> list[date]:
    """Every calendar day from `start` to `end`, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def holiday_warnings(start: date, end: date) -> list[str]:
    """Warnings (never errors) for days that are Indonesian public holidays."""
    warnings: list[str] = []
    unknown_years: set[int] = set()
    for day in session_days(start, end):
        try:
            names = [h.name for h in lokal.holidays_on(day)]
        except ValueError:
            unknown_years.add(day.year)
            continue
        if names:
            warnings.append(f"{day.isoformat()} is a public holiday: {', '.join(names)}")
    for year in sorted(unknown_years):
        warnings.append(f"holiday calendar for {year} is not available; dates were not checked")
    return warnings
