"""A valid N-row volunteer list for one province (CSV or XLSX), optionally with bad rows.

    python -m bench.samples.generate --province 52 --rows 100000 --out ntb.csv
    python -m bench.samples.generate --province 52 --rows 50 --bad --out s.xlsx

Rows are streamed to the file, so any size can be generated in flat memory. NIKs are
consistent with the birth date, sex and the district of the row's village; every NIK is
distinct (birth date and serial vary with the row number).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from lokal import wilayah

from services.registry.service.spreadsheets import COLUMNS

FIRST = ("Siti", "Ahmad", "Dewi", "Budi", "Nur", "Agus", "Sri", "Made", "Lalu", "Baiq", "Eko")
LAST = ("Aminah", "Hidayat", "Lestari", "Santoso", "Rahmawati", "Saputra", "Wahyuni", "Putra")
SPAN_DAYS = 40 * 365  # births between 1960 and 2000: everyone is an adult


@lru_cache(maxsize=8)
def villages_of(province: str) -> tuple[str, ...]:
    """Every village code of a province in the current dataset."""
    codes: list[str] = []
    for regency in wilayah.list_wilayah(province):
        for district in wilayah.list_wilayah(regency.code):
            codes.extend(v.code for v in wilayah.list_wilayah(district.code))
    return tuple(codes)


def nik_for(district_code: str, birth: date, female: bool, serial: int) -> str:
    day = birth.day + (40 if female else 0)
    return f"{district_code.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def valid_row(i: int, villages: tuple[str, ...]) -> dict[str, str]:
    n = len(villages)
    village = villages[i % n]
    birth = date(1960, 1, 1) + timedelta(days=(i // n) % SPAN_DAYS)
    female = (i // n // SPAN_DAYS) % 2 == 1
    serial = (i % n) % 9999 + 1
    return {
        "nik": nik_for(village.rsplit(".", 1)[0], birth, female, serial),
        "full_name": f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}",
        "birth_place": "Mataram",
        "birth_date": birth.isoformat(),
        "sex": "P" if female else "L",
        "village_code": village,
        "address": f"Jl. Contoh No. {i % 200 + 1}",
        "phone": f"0812{i % 100_000_000:08d}",
        "email": "",
        "education": "SMA",
        "occupation": "Wiraswasta",
        "ipsm_number": "",
    }


def bad_rows(villages: tuple[str, ...]) -> list[tuple[dict[str, str], str]]:
    """One row per rule, each with the reason it must be refused."""
    base = valid_row(0, villages)
    young = date.today() - timedelta(days=365 * 15)
    return [
        ({**base}, "duplicate of row 2"),
        ({**valid_row(1, villages), "nik": "3.27601E+15"}, "NIK rounded by a spreadsheet"),
        ({**valid_row(2, villages), "nik": "12345"}, "NIK too short"),
        ({**valid_row(3, villages), "village_code": "52.99.99.9999"}, "unknown village"),
        ({**valid_row(4, villages), "sex": "P"}, "sex does not match NIK"),
        (
            {
                **valid_row(5, villages),
                "birth_date": young.isoformat(),
                "nik": nik_for(villages[5].rsplit(".", 1)[0], young, False, 1),
            },
            "under 18",
        ),
        ({**valid_row(6, villages), "phone": "12345"}, "bad phone"),
        ({**valid_row(7, villages), "full_name": ""}, "missing name"),
    ]


def rows(province: str, count: int, *, with_bad: bool = False) -> Iterator[dict[str, str]]:
    villages = villages_of(province)
    for i in range(count):
        yield valid_row(i, villages)
    if with_bad:
        for row, _reason in bad_rows(villages):
            yield row


def write(path: Path, province: str, count: int, *, with_bad: bool = False) -> Path:
    """Write the file; the format follows the suffix (.csv or .xlsx)."""
    data = rows(province, count, with_bad=with_bad)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("volunteers")
        ws.append(list(COLUMNS))
        for row in data:
            ws.append([row[c] or None for c in COLUMNS])
        wb.save(path)
        return path
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(data)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", default="52", help="province code (52 = NTB)")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--bad", action="store_true", help="append one bad row per rule")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.out, args.province, args.rows, with_bad=args.bad)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
