"""Evaluate a participant against a course's rules and summarise a session (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean

from services.training.domain.enums import ATTENDED, CompletionForceReason, ResultReason
from services.training.domain.errors import CompletionTooEarly, InvalidField, ReopenWindowClosed
from shared.i18n import Text, t


@dataclass(frozen=True)
class Verdict:
    """Whether a participant passed, why (for operators, in both languages) and, when not,
    every rule missed."""

    passed: bool
    reason: Text
    reasons: tuple[ResultReason, ...] = ()


def attendance_pct(statuses: Iterable[str], days: int) -> float:
    """The share of the session's days attended, in percent."""
    attended = sum(1 for s in statuses if s in ATTENDED)
    return 100.0 * attended / days if days else 0.0


def days_required(days: int, min_attendance_pct: int) -> int:
    """The fewest days attended that reach the minimum share (rounded up: 75% of 2 days is 2)."""
    return -(-days * min_attendance_pct // 100)


def evaluate(
    *,
    statuses: Sequence[str],
    days: int,
    post_score: float | None,
    min_attendance_pct: int,
    pass_mark: int,
) -> Verdict:
    """Passed needs the minimum attendance and a post-test score at or above the pass mark.

    `reason` explains the first rule missed (or the pass); `reasons` lists every rule missed.
    """
    pct = attendance_pct(statuses, days)
    missed: list[tuple[ResultReason, Text]] = []
    if pct < min_attendance_pct:
        missed.append(
            (
                ResultReason.ATTENDANCE_BELOW_MINIMUM,
                t(
                    "kehadiran {pct:.0f}% di bawah batas minimal {min}%",
                    "attendance {pct:.0f}% is below the minimum {min}%",
                    pct=pct,
                    min=min_attendance_pct,
                ),
            )
        )
    if post_score is None:
        missed.append(
            (
                ResultReason.NO_POST_TEST,
                t("belum ada nilai post-test", "no post-test score recorded"),
            )
        )
    elif post_score < pass_mark:
        missed.append(
            (
                ResultReason.POST_TEST_BELOW_PASS_MARK,
                t(
                    "nilai post-test {score:g} di bawah batas lulus {mark}",
                    "post-test score {score:g} is below the pass mark {mark}",
                    score=post_score,
                    mark=pass_mark,
                ),
            )
        )
    if missed:
        return Verdict(False, missed[0][1], tuple(code for code, _ in missed))
    return Verdict(
        True,
        t(
            "kehadiran {pct:.0f}%, post-test {score:g}",
            "attendance {pct:.0f}%, post-test {score:g}",
            pct=pct,
            score=post_score,
        ),
    )


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
            t(
                "Hari terakhir sesi adalah {day}: selesaikan sesi pada hari itu, atau paksa "
                "dengan reason_code (lihat dulu pratinjau penyelesaian)",
                "the session's last day is {day}: complete it then, or force it with a "
                "reason_code (see the completion preview first)",
                day=last_day.isoformat(),
            )
        )
    if reason_code is None:
        raise InvalidField(
            "reason_code",
            t(
                "wajib diisi bila penyelesaian dipaksa (force)",
                "required when forcing completion",
            ),
        )


def reopen_deadline(first_completed_at: datetime, window_days: int) -> datetime:
    """Until when a completed session may be re-opened for correction."""
    return first_completed_at + timedelta(days=window_days)


def check_reopen(*, now: datetime, first_completed_at: datetime, window_days: int) -> None:
    """A completed session is re-opened only within the window after its first completion."""
    deadline = reopen_deadline(first_completed_at, window_days)
    if now > deadline:
        raise ReopenWindowClosed(
            t(
                "Masa koreksi berakhir pada {deadline} ({days} hari setelah penyelesaian)",
                "the correction window closed at {deadline} ({days} days after completion)",
                deadline=deadline.isoformat(),
                days=window_days,
            )
        )
