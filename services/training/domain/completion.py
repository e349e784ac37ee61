"""Evaluate a participant against a course's rules and summarise a session (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

from services.training.domain.enums import ATTENDED


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
