"""The data-subject export as a document a person can read: an HTML page in Bahasa
Indonesia, a heading per service, dates as Indonesians write them, every value escaped
(Jinja2 with autoescape: names, addresses and message texts are shown as text, never as
markup)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.registry.domain.dates import tanggal, waktu
from shared.regions import timezone_of

_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

#: codes of the three services' closed lists, as the document says them
LABELS = {
    "candidate": "calon",
    "active": "aktif",
    "inactive": "tidak aktif",
    "resigned": "mengundurkan diri",
    "revoked": "dicabut",
    "confirmed": "terdaftar",
    "waitlisted": "daftar tunggu",
    "cancelled": "dibatalkan",
    "passed": "lulus",
    "failed": "tidak lulus",
    "present": "hadir",
    "late": "terlambat",
    "left_early": "pulang lebih awal",
    "absent": "tidak hadir",
    "excused": "izin",
    "valid": "berlaku",
    "superseded": "digantikan",
    "draft": "draf",
    "open": "dibuka",
    "in_progress": "berlangsung",
    "completed": "selesai",
    "pending": "menunggu",
    "sending": "sedang dikirim",
    "sent": "terkirim",
    "deferred": "ditunda",
    "retry": "akan dicoba lagi",
    "suppressed": "tidak dikirim",
    "L": "laki-laki",
    "P": "perempuan",
}

#: registry's profile fields, in the order and words the document shows them
PROFILE_FIELDS = {
    "id": "Nomor rujukan",
    "nik": "NIK",
    "full_name": "Nama lengkap",
    "birth_place": "Tempat lahir",
    "birth_date": "Tanggal lahir",
    "sex": "Jenis kelamin",
    "address": "Alamat",
    "village_code": "Kode desa/kelurahan",
    "phone": "Nomor telepon",
    "email": "Email",
    "education": "Pendidikan",
    "occupation": "Pekerjaan",
    "status": "Status",
    "training_level": "Tingkat Bimtek",
    "ipsm_number": "Nomor anggota IPSM",
    "consent_data_processing": "Persetujuan pengolahan data",
    "consent_contact": "Persetujuan dihubungi",
    "created_at": "Didaftarkan",
    "updated_at": "Terakhir diubah",
}


def label(value: Any) -> str:
    """A code in words (or the value itself); yes/no for booleans, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return LABELS.get(str(value), str(value))


def render(document: dict[str, Any]) -> str:
    """The page of an export (`document` as the JSON answer has it: ISO dates as text)."""
    volunteer = document["registry"]["volunteer"]
    zone = timezone_of(str(volunteer.get("province_code") or "31"))

    def when(value: Any) -> str:
        """A date or moment from the JSON, in Indonesian (the person's own time zone)."""
        if not value:
            return "—"
        text = str(value)
        try:
            if len(text) == 10:
                return tanggal(date.fromisoformat(text))
            return waktu(datetime.fromisoformat(text), zone)
        except ValueError:
            return text

    profile = [(key, name, volunteer.get(key)) for key, name in PROFILE_FIELDS.items()]
    rest = sorted(set(volunteer) - set(PROFILE_FIELDS))
    return _env.get_template("subject_export.html").render(
        doc=document,
        profile=profile,
        other_fields=[(key, volunteer[key]) for key in rest],
        when=when,
        label=label,
        dated={"birth_date", "created_at", "updated_at"},
    )
