"""How a Bimtek result and a re-opening are told in Bahasa Indonesia. Pure: no DB, no I/O.

Training publishes codes and figures (`participant-evaluated`, `session-reopened`), never
an operator's words; the words a participant reads are chosen here from the codes.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.events.vocabulary import ReopenReason, ResultReason

#: a code this service does not know yet (the lists may grow): said without figures
OTHER_RESULT_REASON = "belum memenuhi ketentuan kelulusan lainnya"

REOPEN_REASON_TEXT: dict[ReopenReason, str] = {
    ReopenReason.ATTENDANCE_WRONG: "koreksi data kehadiran",
    ReopenReason.SCORES_WRONG: "koreksi nilai tes",
    ReopenReason.COMPLETED_TOO_EARLY: "sesi ditutup terlalu dini",
    ReopenReason.OTHER: "koreksi data oleh penyelenggara",
}


def angka(value: float) -> str:
    """A score as Indonesians write it: `55`, `72,5` (a decimal comma, no trailing zeros)."""
    return f"{value:g}".replace(".", ",")


def result_reasons_text(
    reasons: Sequence[str],
    *,
    days_attended: int,
    session_days: int,
    days_required: int,
    post_test_score: float | None,
    pass_mark: int,
) -> list[str]:
    """One phrase per rule missed, in the event's order, e.g. `kehadiran 1 dari 2 hari
    (minimal 2 hari)`, `nilai post-test 55 (batas lulus 70)`."""
    phrases = []
    for code in reasons:
        if code == ResultReason.ATTENDANCE_BELOW_MINIMUM:
            phrases.append(
                f"kehadiran {days_attended} dari {session_days} hari (minimal {days_required} hari)"
            )
        elif code == ResultReason.NO_POST_TEST:
            phrases.append(f"tidak ada nilai post-test (batas lulus {pass_mark})")
        elif code == ResultReason.POST_TEST_BELOW_PASS_MARK and post_test_score is not None:
            phrases.append(f"nilai post-test {angka(post_test_score)} (batas lulus {pass_mark})")
        elif OTHER_RESULT_REASON not in phrases:
            phrases.append(OTHER_RESULT_REASON)
    return phrases or [OTHER_RESULT_REASON]


def reopen_reason_text(code: str) -> str:
    """Why a session was re-opened, in words (`other`'s words for a code not known yet)."""
    if code not in set(ReopenReason):
        return REOPEN_REASON_TEXT[ReopenReason.OTHER]
    return REOPEN_REASON_TEXT[ReopenReason(code)]
