"""The Bimtek pages' pure helpers: the month calendar, the sheets' forms, pasted lists."""

from __future__ import annotations

from datetime import date

from services.console.pages.bimtek_common import (
    month_layout,
    parse_ids,
    parse_month,
    parse_quotas,
    parse_rows,
    parse_score_sheet,
    sessions_by_day,
    shift_month,
)
from services.console.pages.bimtek_results import attendance_marks
from services.console.pages.bimtek_session import quota_of, waitlists

A = "0190a2b4-0000-7000-8000-000000000001"
B = "0190a2b4-0000-7000-8000-000000000002"


def test_a_month_is_weeks_of_seven_days_monday_first_with_other_months_blank():
    weeks = month_layout(2026, 11)  # 1 November 2026 is a Sunday
    assert all(len(w) == 7 for w in weeks)
    assert weeks[0] == [None] * 6 + [date(2026, 11, 1)]
    days = [d for w in weeks for d in w if d]
    assert days == [date(2026, 11, n) for n in range(1, 31)]


def test_a_session_shows_on_every_day_it_runs_within_the_month():
    s = {"id": "x", "start_date": "2026-11-30", "end_date": "2026-12-01"}
    assert list(sessions_by_day([s], 2026, 11)) == [date(2026, 11, 30)]
    assert list(sessions_by_day([s], 2026, 12)) == [date(2026, 12, 1)]


def test_months_step_across_years_and_a_bad_month_means_today():
    assert shift_month(2026, 12, 1) == "2027-01"
    assert shift_month(2026, 1, -1) == "2025-12"
    assert parse_month("2026-13", date(2026, 3, 5)) == (2026, 3)
    assert parse_month("2025-02", date(2026, 3, 5)) == (2025, 2)


def test_a_score_sheet_reads_decimal_commas_leaves_empty_rows_out_and_marks_non_numbers():
    form = {f"pre-{A}": "50", f"post-{A}": "72,5", f"pre-{B}": "", f"post-{B}": "lima"}
    rows, bad = parse_score_sheet(form, [A, B])
    assert rows == [{"enrolment_id": A, "pre_score": 50.0, "post_score": 72.5}]
    assert bad == {f"post-{B}": "sc.not_a_number"}
    rows, bad = parse_score_sheet({f"post-{B}": "90"}, [A, B])
    assert rows == [{"enrolment_id": B, "post_score": 90.0}] and bad == {}


def test_pasted_ids_are_kept_in_order_once_and_the_rest_reported():
    ids, bad = parse_ids(f"{A}\n{B.upper()}, {A}\n3276012345678901")
    assert ids == [A, B]
    assert bad == ["3276012345678901"]


def test_quotas_are_read_one_per_line_and_a_bad_line_is_named():
    assert parse_quotas("32.76.01=20\norg:ipsm-pusat = 5\nsisa=10\n") == (
        {"32.76.01": 20, "org:ipsm-pusat": 5, "remainder": 10},
        None,
    )
    assert parse_quotas("32.76=20\n32.75 dua puluh")[1] == 2


def test_speaker_and_agenda_lines_are_padded_and_too_many_cells_refused():
    assert parse_rows("Narasumber | Kemensos", 2) == ([["Narasumber", "Kemensos"]], None)
    assert parse_rows("2026-11-30 | | Peran PSM", 4) == (
        [["2026-11-30", "", "Peran PSM", ""]],
        None,
    )
    assert parse_rows("a | b | c", 2)[1] == 1


def test_waitlists_are_grouped_by_the_quota_key_training_answers_in_queue_order():
    entries = [
        {"status": "waitlisted", "waitlist_seq": 3, "quota_key": "org:ipsm-pusat", "id": "d"},
        {"status": "waitlisted", "waitlist_seq": 2, "quota_key": "32.76", "id": "b"},
        # a Depok volunteer counted against the remainder (the session has no 32.76 key):
        # training's key is taken as it is, never worked out from the regency
        {
            "status": "waitlisted",
            "waitlist_seq": 4,
            "quota_key": "remainder",
            "regency_code": "32.76",
            "id": "e",
        },
        {"status": "waitlisted", "waitlist_seq": 1, "quota_key": "32.76", "id": "a"},
        {"status": "confirmed", "waitlist_seq": None, "quota_key": "32.76", "id": "c"},
    ]
    assert {k: [e["id"] for e in v] for k, v in waitlists(entries).items()} == {
        "32.76": ["a", "b"],
        "org:ipsm-pusat": ["d"],
        "remainder": ["e"],
    }
    assert quota_of({"quota_key": None, "regency_code": "32.76"}) == ""  # one queue


def test_saving_the_attendance_sheet_keeps_a_finer_status_while_the_box_agrees():
    recorded = {"late": "late", "excused": "excused", "new": None, "was_absent": "absent"}
    ticked = {"late", "new", "was_absent"}
    marks = attendance_marks(["late", "excused", "new", "was_absent"], ticked, recorded)
    assert [m["status"] for m in marks] == ["late", "excused", "present", "present"]
    # unticking someone recorded late records them absent
    assert attendance_marks(["late"], set(), recorded) == [
        {"enrolment_id": "late", "status": "absent"}
    ]
