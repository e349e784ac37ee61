"""Dates and times as Indonesians write them: `7 Juni 2022`, `7 Juni 2022 pukul 08.00 WIB`.
Pure: no clock, no locale (a server's locale is never Indonesian, and `strftime`'s names
depend on it).

Why registry's own copy of notifications' formatter: services never import each other, and
these few lines are not worth a shared module's compatibility promise.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
#: The abbreviation Indonesians use for each of the country's three zones.
ZONE_LABEL = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def tanggal(day: date) -> str:
    """`7 Juni 2022`."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def waktu(moment: datetime, zone: str) -> str:
    """`7 Juni 2022 pukul 08.00 WIB`: a moment in `zone` (a naive one is taken as UTC, as
    the databases store it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    local = moment.astimezone(ZoneInfo(zone))
    label = ZONE_LABEL.get(zone) or local.strftime("UTC%z")
    return f"{tanggal(local.date())} pukul {local.hour:02d}.{local.minute:02d} {label}"
