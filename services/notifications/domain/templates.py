"""Message texts (Bahasa Indonesia). No personal data is needed to render them."""

from __future__ import annotations

REGISTRATION_RECEIVED = "registration-received"

TEXTS = {
    REGISTRATION_RECEIVED: (
        "Pendaftaran Anda sebagai Pekerja Sosial Masyarakat (PSM) telah diterima. "
        "Status Anda: calon PSM. Langkah berikutnya: mengikuti Bimtek PSM dasar."
    ),
}


def render(template: str) -> str:
    return TEXTS[template]
