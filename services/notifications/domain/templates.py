"""Message templates (Bahasa Indonesia, Jinja2), versioned. Pure: no DB, no I/O.

A template is identified by name; its `version` is recorded on every ledger row so a
message can be traced to the exact text it was rendered from. Changing a text means
bumping its version (version 2 of the texts with dates: dates written `Senin, 7 Juni 2022`,
`domain/dates.py`, never ISO).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from services.notifications.domain.enums import Category, Priority, SessionCancelReason
from services.notifications.domain.errors import TemplateCannotRender, UnknownTemplate

REGISTRATION_RECEIVED = "registration-received"
STATUS_ACTIVE = "status-active"
ENROLMENT_CONFIRMED = "enrolment-confirmed"
ENROLMENT_WAITLISTED = "enrolment-waitlisted"
PROMOTED_FROM_WAITLIST = "promoted-from-waitlist"
SESSION_CANCELLED = "session-cancelled"
SESSION_RESCHEDULED = "session-rescheduled"
SESSION_REMINDER = "session-reminder"
CERTIFICATE_ISSUED = "certificate-issued"
PARTICIPANT_NOT_PASSED = "participant-not-passed"
SESSION_REOPENED = "session-reopened"
OPERATOR_DIGEST = "operator-digest"
BROADCAST = "broadcast"
ACCESS_LINK = "access-link"

# Categories a volunteer may opt out of, per channel; CRITICAL cannot be opted out of.
CRITICAL = Category.CRITICAL


@dataclass(frozen=True)
class Template:
    """One message text, versioned, with an example context for previews."""

    name: str
    version: int
    category: Category
    subject: str
    body: str
    example: dict[str, Any] = field(default_factory=dict)
    priority: Priority = Priority.TRANSACTIONAL

    @property
    def critical(self) -> bool:
        """Whether the message ignores opt-outs."""
        return self.category == CRITICAL


#: How a participant is told why a session was cancelled: training publishes a code, never
#: the organiser's own words (free text is where personal data leaks).
CANCEL_REASON_TEXT: dict[SessionCancelReason, str] = {
    SessionCancelReason.VENUE_UNAVAILABLE: "tempat pelaksanaan tidak tersedia",
    SessionCancelReason.TRAINER_UNAVAILABLE: "narasumber berhalangan hadir",
    SessionCancelReason.TOO_FEW_PARTICIPANTS: "jumlah peserta tidak mencukupi",
    SessionCancelReason.DISASTER_OR_EMERGENCY: "bencana atau keadaan darurat",
    SessionCancelReason.BUDGET: "kendala anggaran",
    SessionCancelReason.RESCHEDULED: "kegiatan akan dijadwalkan ulang",
    SessionCancelReason.OTHER: "alasan lain dari penyelenggara",
}


def cancel_reason_text(code: str | None) -> str:
    """The reason of a cancelled session in Bahasa Indonesia (`other`'s words when unknown)."""
    if code is None or code not in set(SessionCancelReason):
        return CANCEL_REASON_TEXT[SessionCancelReason.OTHER]
    return CANCEL_REASON_TEXT[SessionCancelReason(code)]


_SESSION_EXAMPLE = {
    "sesi": {
        "judul": "Bimtek PSM Dasar Kota Depok 2026",
        "tempat": "Aula Baleka lt. 10, Depok",
        "mulai": "Selasa, 1 Desember 2026",
        "selesai": "Rabu, 2 Desember 2026",
    }
}

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            REGISTRATION_RECEIVED,
            2,
            Category.ACCOUNT,
            "Pendaftaran PSM diterima",
            "Halo {{ nama }}, pendaftaran Anda sebagai Pekerja Sosial Masyarakat (PSM) "
            "telah diterima. Status Anda: calon PSM. Langkah berikutnya: mengikuti "
            "Bimtek PSM dasar.",
            {"nama": "Siti Aminah"},
            priority=Priority.BULK,
        ),
        Template(
            STATUS_ACTIVE,
            1,
            Category.ACCOUNT,
            "Anda kini PSM aktif",
            "Selamat {{ nama }}, status Anda kini PSM aktif. Terima kasih atas "
            "pengabdian Anda bagi masyarakat.",
            {"nama": "Siti Aminah"},
        ),
        Template(
            ENROLMENT_CONFIRMED,
            2,
            Category.TRAINING,
            "Pendaftaran Bimtek dikonfirmasi",
            "Halo {{ nama }}, Anda terdaftar pada {{ sesi.judul }} di {{ sesi.tempat }}, "
            "{{ sesi.mulai }} s.d. {{ sesi.selesai }}.",
            {"nama": "Siti Aminah", **_SESSION_EXAMPLE},
        ),
        Template(
            ENROLMENT_WAITLISTED,
            1,
            Category.TRAINING,
            "Daftar tunggu Bimtek",
            "Halo {{ nama }}, kuota {{ sesi.judul }} sudah penuh. Anda berada di daftar "
            "tunggu nomor {{ posisi }}. Kami akan mengabari bila ada tempat.",
            {"nama": "Siti Aminah", "posisi": 3, **_SESSION_EXAMPLE},
        ),
        Template(
            PROMOTED_FROM_WAITLIST,
            2,
            Category.TRAINING,
            "Anda mendapat tempat di Bimtek",
            "Kabar baik, {{ nama }}: ada tempat untuk Anda di {{ sesi.judul }} "
            "({{ sesi.tempat }}, mulai {{ sesi.mulai }}). Pendaftaran Anda dikonfirmasi.",
            {"nama": "Siti Aminah", **_SESSION_EXAMPLE},
        ),
        Template(
            SESSION_CANCELLED,
            2,
            CRITICAL,
            "Bimtek dibatalkan",
            "PENTING: {{ sesi.judul }} yang dijadwalkan mulai {{ sesi.mulai }} di "
            "{{ sesi.tempat }} DIBATALKAN. Alasan: {{ alasan }}. Mohon tidak datang ke lokasi.",
            {"alasan": "tempat pelaksanaan tidak tersedia", **_SESSION_EXAMPLE},
            priority=Priority.CRITICAL,
        ),
        Template(
            SESSION_RESCHEDULED,
            1,
            CRITICAL,
            "Jadwal Bimtek berubah",
            "PENTING: jadwal {{ sesi.judul }} berubah. Jadwal baru: {{ sesi.mulai }} s.d. "
            "{{ sesi.selesai }} di {{ sesi.tempat }} (semula mulai {{ semula }}). "
            "{% if menunggu %}Anda masih di daftar tunggu; kami akan mengabari bila ada "
            "tempat. {% endif %}Mohon sesuaikan rencana Anda, {{ nama }}.",
            {
                "nama": "Siti Aminah",
                "semula": "Senin, 30 November 2026",
                "menunggu": False,
                **_SESSION_EXAMPLE,
            },
            priority=Priority.CRITICAL,
        ),
        Template(
            SESSION_REMINDER,
            3,
            Category.REMINDER,
            "Pengingat Bimtek",
            "Pengingat: {{ sesi.judul }} dimulai "
            "{% if hari == 0 %}hari ini{% else %}{{ hari }} hari lagi{% endif %}, {{ sesi.mulai }}, "
            "di {{ sesi.tempat }}. Sampai jumpa, {{ nama }}!",
            {"nama": "Siti Aminah", "hari": 3, **_SESSION_EXAMPLE},
        ),
        Template(
            CERTIFICATE_ISSUED,
            1,
            Category.TRAINING,
            "Sertifikat Bimtek terbit",
            "Selamat {{ nama }}, sertifikat Bimtek {{ tingkat }} Anda telah terbit. "
            "Nomor: {{ nomor }}. Kode verifikasi: {{ kode }}. Cek keasliannya di {{ tautan }}",
            {
                "nama": "Siti Aminah",
                "tingkat": "dasar",
                "nomor": "BMT/3276/2026/0001",
                "kode": "K7Q2-9XPA",
                "tautan": "https://psm.kemensos.example.id/sertifikat/K7Q2-9XPA",
            },
        ),
        Template(
            PARTICIPANT_NOT_PASSED,
            1,
            Category.TRAINING,
            "Hasil Bimtek: belum lulus",
            "Halo {{ nama }}, hasil {{ sesi.judul }} ({{ sesi.mulai }} s.d. {{ sesi.selesai }}"
            "){% if koreksi %} setelah koreksi{% endif %}: Anda belum lulus Bimtek {{ tingkat }}. "
            "Alasan: {{ alasan | join('; ') }}. Langkah berikutnya: Anda dapat mengikuti "
            "Bimtek {{ tingkat }} berikutnya; hubungi operator Dinas Sosial kabupaten/kota "
            "Anda untuk jadwal dan pendaftarannya.",
            {
                "nama": "Siti Aminah",
                "tingkat": "dasar",
                "alasan": ["kehadiran 1 dari 2 hari (minimal 2 hari)"],
                "koreksi": False,
                **_SESSION_EXAMPLE,
            },
        ),
        Template(
            SESSION_REOPENED,
            1,
            Category.TRAINING,
            "Bimtek dibuka kembali untuk koreksi",
            "Halo {{ nama }}, {{ sesi.judul }} ({{ sesi.mulai }} s.d. {{ sesi.selesai }}) "
            "dibuka kembali oleh penyelenggara: {{ alasan }}. "
            "{% if menunggu %}Anda masih tercatat di daftar tunggu sesi ini. "
            "{% else %}Hasil Bimtek dapat berubah; Anda akan dikabari bila hasil Anda "
            "berubah. {% endif %}Tidak ada yang perlu Anda lakukan saat ini.",
            {
                "nama": "Siti Aminah",
                "alasan": "koreksi data kehadiran",
                "menunggu": False,
                **_SESSION_EXAMPLE,
            },
        ),
        Template(
            OPERATOR_DIGEST,
            2,
            Category.DIGEST,
            "Ringkasan harian PSM",
            "Ringkasan {{ tanggal }}:{% for baris in wilayah %}\n- {{ baris.jumlah }} calon PSM "
            "menunggu verifikasi di {{ baris.nama }} ({{ baris.wilayah }}){% endfor %}",
            {
                "tanggal": "23 November 2026",
                "wilayah": [{"jumlah": 12, "wilayah": "32.76", "nama": "Kota Depok"}],
            },
            priority=Priority.BULK,
        ),
        Template(
            ACCESS_LINK,
            1,
            Category.ACCOUNT,
            "Tautan halaman PSM Anda",
            "Halo {{ nama }}, buka halaman PSM Anda: {{ tautan }} (berlaku {{ berlaku }}, "
            "sekali pakai). Jangan bagikan tautan ini kepada siapa pun.",
            {
                "nama": "Siti Aminah",
                "tautan": "https://psm.kemensos.example.id/v/contoh",
                "berlaku": "24 jam",
            },
        ),
        Template(
            BROADCAST,
            1,
            Category.BROADCAST,
            "Pengumuman PSM",
            "{{ pesan }}",
            {"pesan": "Rapat koordinasi PSM Kota Depok hari Jumat pukul 09.00 WIB."},
            priority=Priority.BULK,
        ),
    )
}

_env = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


# Why a tuple: an unknown name (404) and a context that does not fit (422) are different
# kinds, but a sender treats both as "this message cannot be rendered".
TemplateError = (UnknownTemplate, TemplateCannotRender)


def get(name: str) -> Template:
    """The template of that name (a name asked for over HTTP is not echoed back)."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate("no template of that name") from None


@lru_cache(maxsize=256)
def _compiled(source: str) -> jinja2.Template:
    """Compile a template's text once (compiling costs ~70 times rendering)."""
    return _env.from_string(source)


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of template `name` rendered against `context`."""
    template = get(name)
    try:
        return (
            _compiled(template.subject).render(context),
            _compiled(template.body).render(context),
        )
    except Exception as exc:  # jinja2's UndefinedError and friends: name the template only
        raise TemplateCannotRender(
            f"template {name!r} cannot render: {type(exc).__name__}"
        ) from exc


def preview(name: str, context: dict[str, Any] | None = None) -> tuple[str, str]:
    """Render against the template's example, overridden by `context`."""
    return render(name, {**get(name).example, **(context or {})})
