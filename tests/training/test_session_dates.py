"""Session dates are bounded (start window, duration), configurable, and checked against
the holiday calendars of every year a session can fall in (issue 13, item 6)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.training.config import Settings, load_holidays
from services.training.domain import schedule
from services.training.domain.errors import SessionRuleBroken
from shared.clock import FrozenClock
from shared.i18n import t
from tests.training.helpers import open_session, session_body, training_app

TODAY = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 2026-12-03 in WIB
BOUNDS = schedule.DateBounds(past_days=365, future_days=1095, max_days=30)


def test_start_date_outside_the_window_is_refused_naming_start_date():
    today = date(2026, 12, 3)
    with pytest.raises(SessionRuleBroken) as far:
        schedule.check_dates(date(2207, 3, 1), date(2207, 3, 2), today=today, bounds=BOUNDS)
    assert far.value.extra["errors"] == [
        {
            "field": "start_date",
            "message": t(
                "harus antara 2025-12-03 dan 2029-12-02",
                "must be between 2025-12-03 and 2029-12-02",
            ),
        }
    ]
    with pytest.raises(SessionRuleBroken, match="start_date"):
        schedule.check_dates(date(1, 1, 1), date(1, 1, 2), today=today, bounds=BOUNDS)
    schedule.check_dates(date(2029, 12, 2), date(2029, 12, 3), today=today, bounds=BOUNDS)
    schedule.check_dates(date(2025, 12, 3), date(2025, 12, 3), today=today, bounds=BOUNDS)


def test_session_longer_than_the_maximum_is_refused_naming_end_date():
    today = date(2026, 12, 3)
    schedule.check_dates(date(2027, 1, 1), date(2027, 1, 30), today=today, bounds=BOUNDS)
    with pytest.raises(SessionRuleBroken) as long:
        schedule.check_dates(date(2027, 1, 1), date(2027, 1, 31), today=today, bounds=BOUNDS)
    assert long.value.extra["errors"][0]["field"] == "end_date"
    with pytest.raises(SessionRuleBroken, match="end_date"):
        schedule.check_dates(date(2027, 1, 2), date(2027, 1, 1), today=today, bounds=BOUNDS)


async def test_absurd_session_dates_are_refused_quickly_with_422(database_url):
    async with training_app(database_url, clock=FrozenClock(TODAY)) as t:
        began = time.monotonic()
        r = await t.post("/sessions", session_body(start_date="0001-01-01", end_date="9999-12-31"))
        assert time.monotonic() - began < 2
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "start_date"
        typo = await t.post(
            "/sessions", session_body(start_date="2207-03-01", end_date="2207-03-02")
        )
        assert typo.status_code == 422
        assert typo.json()["errors"][0]["field"] == "start_date"
        long = await t.post(
            "/sessions", session_body(start_date="2027-03-01", end_date="2027-06-01")
        )
        assert long.status_code == 422
        assert long.json()["errors"][0]["field"] == "end_date"


async def test_session_date_bounds_are_configurable(database_url):
    clock = FrozenClock(TODAY)
    async with training_app(
        database_url, clock=clock, session_future_days=30, session_max_days=2
    ) as t:
        later = await t.post(
            "/sessions", session_body(start_date="2027-02-01", end_date="2027-02-01")
        )
        assert later.status_code == 422
        three = await t.post(
            "/sessions", session_body(start_date="2026-12-20", end_date="2026-12-22")
        )
        assert three.json()["errors"][0]["field"] == "end_date"
        ok = await t.post("/sessions", session_body(start_date="2026-12-20", end_date="2026-12-21"))
        assert ok.status_code == 201, ok.text


async def test_changed_session_dates_are_bounded_too(database_url):
    async with training_app(database_url, clock=FrozenClock(TODAY)) as t:
        s = await open_session(t, start_date="2027-02-01", end_date="2027-02-02")
        r = await t.client.patch(
            f"/sessions/{s['id']}",
            json={"start_date": "2207-02-01", "end_date": "2207-02-02"},
            headers=t.headers(),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "start_date"
        venue = await t.client.patch(
            f"/sessions/{s['id']}", json={"venue_name": "Aula Dinsos"}, headers=t.headers()
        )
        assert venue.status_code == 200, venue.text


def _calendar(folder: Path, year: int, days: list[tuple[str, str]], **extra: object) -> None:
    folder.mkdir(exist_ok=True)
    data = {
        "year": year,
        "decree": f"SKB 3 Menteri {year}",
        "source": "https://www.setneg.go.id/",
        "holidays": [{"date": d, "name": n, "type": "libur_nasional"} for d, n in days],
        **extra,
    }
    (folder / f"{year}.json").write_text(json.dumps(data), encoding="utf-8")


async def test_holiday_calendar_file_covers_a_year_lokal_does_not(database_url, tmp_path):
    folder = tmp_path / "holidays"
    _calendar(folder, 2028, [("2028-08-17", "Proklamasi Kemerdekaan")])
    async with training_app(database_url, clock=FrozenClock(TODAY), holidays_dir=folder) as t:
        r = await t.post("/sessions", session_body(start_date="2028-08-17", end_date="2028-08-18"))
        assert r.status_code == 201, r.text
        assert r.json()["warnings"] == [
            "2028-08-17 adalah hari libur nasional: Proklamasi Kemerdekaan"
        ]


async def test_a_year_whose_decree_is_not_out_yet_is_checked_against_estimated_holidays(
    database_url,
):
    async with training_app(database_url, clock=FrozenClock(TODAY)) as t:
        r = await t.post("/sessions", session_body(start_date="2029-03-15", end_date="2029-03-16"))
        assert r.status_code == 201, r.text
        assert r.json()["warnings"] == ["2029-03-15 adalah hari libur nasional: Hari Suci Nyepi"]


def test_a_broken_holiday_calendar_stops_start_up(tmp_path):
    folder = tmp_path / "broken"
    _calendar(folder, 2028, [("2029-01-01", "Tahun Baru")])
    load_holidays.cache_clear()
    with pytest.raises(ValidationError, match="not in 2028"):
        Settings(holidays_dir=folder)


def test_shipped_holiday_calendars_are_readable():
    assert isinstance(Settings().holidays(), dict)
