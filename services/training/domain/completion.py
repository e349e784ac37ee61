"""Evaluate a participant against a course's rules and summarise a session (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean

from services.training.domain.enums import ATTENDED, CompletionForceReason
from services.training.domain.errors import CompletionTooEarly, InvalidField, ReopenWindowClosed


@dataclass(frozen=True)
class Verdict:
    """Whether a participant passed, and why."""

    passed: bool
    reason: str


def attendance_pct(statuses: Iterable[str], days: int) -> float:
    """The share of the session's days attended, in percent."""
    attended = sum(1 for s in statuses if s in ATTENDED)
    return 100.0 * attended / days if days else 0.0


def evaluate(
    *,
    statuses: Sequence[str],
    days: int,
    post_score: float | None,
    min_attendance_pct: int,
    pass_mark: int,
) -> Verdict:
    """Passed needs the minimum attendance and a post-test score at or above the pass mark."""
    pct = attendance_pct(statuses, days)
    if pct < min_attendance_pct:
        return Verdict(False, f"attendance {pct:.0f}% is below the minimum {min_attendance_pct}%")
    if post_score is None:
        return Verdict(False, "no post-test score recorded")
    if post_score < pass_mark:
        return Verdict(False, f"post-test score {post_score:g} is below the pass mark {pass_mark}")
    return Verdict(True, f"attendance {pct:.0f}%, post-test {post_score:g}")


def mean_scores(
    pairs: Iterable[tuple[float | None, float | None]],
) -> tuple[float | None, float | None, float | None]:
    """Mean pre, mean post and mean improvement (over participants with both scores)."""
    both = [(pre, post) for pre, post in pairs if pre is not None and post is not None]
    if not both:
        return None, None, None
    pre = round(fmean(p for p, _ in both), 2)
    post = round(fmean(q for _, q in both), 2)
    return pre, post, round(post - pre, 2)


def check_completion_time(
    *, today: date, last_day: date, force: bool, reason_code: CompletionForceReason | None
) -> None:
    """Completion waits for the session's last day, unless forced with a reason code."""
    if today >= last_day:
        return
    if not force:
        raise CompletionTooEarly(
            f"the session's last day is {last_day.isoformat()}: complete it then, or force it "
            "with a reason_code (see the completion preview first)"
        )
    if reason_code is None:
        raise InvalidField("reason_code", "required when forcing completion")


def reopen_deadline(first_completed_at: datetime, window_days: int) -> datetime:
    """Until when a completed session may be re-opened for correction."""
    return first_completed_at + timedelta(days=window_days)


def check_reopen(*, now: datetime, first_completed_at: datetime, window_days: int) -> None:
    """A completed session is re-opened only within the window after its first completion."""
    deadline = reopen_deadline(first_completed_at, window_days)
    if now > deadline:
        raise ReopenWindowClosed(
            f"the correction window closed at {deadline.isoformat()} "
            f"({window_days} days after completion)"
        )
