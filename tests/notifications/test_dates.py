"""Item 10 of issue 13: dates in messages are written the Indonesian way, never ISO."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from services.notifications.domain import dates, templates
from services.notifications.service.readmodel import session_context

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_a_date_is_day_month_name_year():
    assert dates.tanggal(date(2022, 6, 7)) == "7 Juni 2022"
    assert dates.tanggal(date(2026, 1, 31)) == "31 Januari 2026"
    assert dates.tanggal(date(2026, 12, 1)) == "1 Desember 2026"


def test_every_month_and_weekday_has_its_indonesian_name():
    months = [dates.tanggal(date(2026, m, 1)).split()[1] for m in range(1, 13)]
    assert months[4] == "Mei" and months[7] == "Agustus" and len(set(months)) == 12
    week = [dates.hari_tanggal(date(2022, 6, d)).split(",")[0] for d in range(6, 13)]
    assert week == ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def test_a_moment_is_written_in_the_recipients_zone_wib_wita_wit():
    moment = datetime(2022, 6, 6, 1, 0, tzinfo=UTC)
    assert dates.waktu(moment, "Asia/Jakarta") == "Senin, 6 Juni 2022 pukul 08.00 WIB"
    assert dates.waktu(moment, "Asia/Makassar") == "Senin, 6 Juni 2022 pukul 09.00 WITA"
    assert dates.waktu(moment, "Asia/Jayapura") == "Senin, 6 Juni 2022 pukul 10.00 WIT"


def test_a_moment_near_midnight_takes_the_local_day():
    moment = datetime(2022, 6, 6, 16, 5, tzinfo=UTC)  # 23.05 WIB, 01.05 WIT the next day
    assert dates.waktu(moment, "Asia/Jakarta") == "Senin, 6 Juni 2022 pukul 23.05 WIB"
    assert dates.waktu(moment, "Asia/Jayapura") == "Selasa, 7 Juni 2022 pukul 01.05 WIT"


def test_session_dates_in_messages_are_never_iso():
    context = session_context(
        title="Bimtek", venue_name="Aula", start_date=date(2022, 6, 6), end_date=date(2022, 6, 8)
    )
    assert context["sesi"]["mulai"] == "Senin, 6 Juni 2022"
    assert context["sesi"]["selesai"] == "Rabu, 8 Juni 2022"
    _, body = templates.render("enrolment-confirmed", {"nama": "Siti", **context})
    assert "Senin, 6 Juni 2022 s.d. Rabu, 8 Juni 2022" in body and not ISO_DATE.search(body)


def test_no_template_example_shows_an_iso_date():
    for name in templates.TEMPLATES:
        subject, body = templates.preview(name)
        assert not ISO_DATE.search(subject + body), name
