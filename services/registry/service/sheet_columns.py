"""The columns of a volunteer list: the header names operators actually write.

Operators fill their lists in Excel from the Dinas Sosial's own templates, which name the
columns in Bahasa Indonesia ("NIK", "Nama Lengkap", "Tgl. Lahir", "L/P", "No. HP" …); the
platform's own exports and older templates use the API's English field names
("full_name", "birth_date" …). Both are accepted, with `ALIASES` below as the one table.

A header cell is compared by `header_key`: lower case, letters and digits only, so
"No. HP", "no hp", "NO_HP" and "No HP " are one name, and so are "full_name" and
"Full Name". A column whose name is in no alias list (a "No" numbering column, "Umur",
"Keterangan", "RT/RW" …) is not imported and refuses nothing: extra columns are normal in
operators' files. A column named twice ("Nama" and "Nama Lengkap") refuses the file,
because which one holds the name cannot be guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.i18n import Text, t

#: Each column of a volunteer list and the header names accepted for it (besides the
#: column's own name, which is always accepted). Extend a list to accept another spelling.
ALIASES: dict[str, tuple[str, ...]] = {
    "nik": ("NIK", "No NIK", "Nomor NIK", "No KTP", "Nomor KTP", "Nomor Induk Kependudukan"),
    "full_name": ("Nama", "Nama Lengkap", "Nama Relawan", "Nama PSM", "Full Name", "Name"),
    "birth_place": ("Tempat Lahir", "Tmp Lahir", "Tempat Lhr"),
    "birth_date": ("Tanggal Lahir", "Tgl Lahir", "Tgl. Lahir", "Tanggal Lhr", "Tgl Lhr"),
    "sex": ("Jenis Kelamin", "JK", "L/P", "Kelamin", "Gender"),
    "village_code": (
        "Kode Desa",
        "Kode Wilayah Desa",
        "Kode Kelurahan",
        "Kode Desa/Kelurahan",
        "Kode Desa Kelurahan",
    ),
    "address": ("Alamat", "Alamat Lengkap", "Alamat Rumah"),
    "phone": (
        "No HP",
        "No. HP",
        "Nomor HP",
        "No HP/WA",
        "No Telp",
        "No. Telp",
        "No Telepon",
        "Nomor Telepon",
        "Nomor WhatsApp",
        "No WhatsApp",
        "No WA",
        "Telepon",
        "HP",
    ),
    "email": ("Email", "E-mail", "Surel", "Alamat Email", "Alamat Surel"),
    "education": ("Pendidikan", "Pendidikan Terakhir"),
    "occupation": ("Pekerjaan",),
    "ipsm_number": ("No IPSM", "No. IPSM", "Nomor IPSM", "Nomor Anggota IPSM"),
}

#: How the error report's `Kolom` names a column (Indonesian; the English report keeps the
#: field name, as the API and the platform's exports spell it).
LABELS: dict[str, str] = {
    "nik": "NIK",
    "full_name": "Nama",
    "birth_place": "Tempat Lahir",
    "birth_date": "Tanggal Lahir",
    "sex": "Jenis Kelamin",
    "village_code": "Kode Desa",
    "address": "Alamat",
    "phone": "No HP",
    "email": "Email",
    "education": "Pendidikan",
    "occupation": "Pekerjaan",
    "ipsm_number": "No IPSM",
    "row": "Baris",
}

COLUMNS = tuple(ALIASES)
REQUIRED = ("nik", "full_name", "birth_date", "sex", "village_code")


def header_key(name: str) -> str:
    """A header name as compared: lower case, letters and digits only."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_BY_KEY: dict[str, str] = {
    header_key(alias): column for column, aliases in ALIASES.items() for alias in (column, *aliases)
}


def label(field: str) -> Text:
    """A column as the error report names it (`Tanggal Lahir` / `birth_date`)."""
    return Text(LABELS.get(field, field), field)


def column_names(cells: Sequence[Any]) -> list[str]:
    """The column each header cell names ("" for a column that is not imported).

    Raises ValueError with a `Text` when a required column is missing or a column is named
    twice (the caller turns it into its refusal of the file)."""
    names = [_BY_KEY.get(header_key(str(c)), "") if c is not None else "" for c in cells]
    for column in COLUMNS:
        places = [str(i + 1) for i, n in enumerate(names) if n == column]
        if len(places) > 1:
            raise ValueError(
                t(
                    "kolom {label} muncul lebih dari sekali di baris judul (kolom ke-{places})",
                    "the header row names the column {column} more than once (columns {places})",
                    label=LABELS[column],
                    column=column,
                    places=", ".join(places),
                )
            )
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(
            t(
                "baris judul tidak memuat kolom: {labels}",
                "the header row lacks the column(s): {columns}",
                labels=", ".join(LABELS[c] for c in missing),
                columns=", ".join(missing),
            )
        )
    return names
