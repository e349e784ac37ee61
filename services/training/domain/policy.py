"""The seeded catalogue of courses and who organises what (policy is data: it lives in
`courses`)."""

from __future__ import annotations

from typing import Any

from services.training.domain.enums import Level, OrganiserLevel

LEVELS = tuple(Level)

_DASAR_MODULES = [
    "Konsep dasar kesejahteraan sosial dan PMKS/PPKS",
    "Peran, fungsi dan kode etik PSM (Permensos 10/2019)",
    "Pendampingan dan rujukan",
    "Pencatatan dan pelaporan",
]

#: Seeded on first start; national admins edit them afterwards (seeding never overwrites).
SEED_COURSES: list[dict[str, Any]] = [
    {
        "code": "BIMTEK-DASAR",
        "level": "dasar",
        "title": "Bimbingan Teknis PSM Dasar",
        "hours": 16,
        "modules": _DASAR_MODULES,
        "min_attendance_pct": 100,
        "pass_mark": 60,
        "validity_months": None,
        "prerequisite_level": None,
        "organiser_levels": ["regency", "province", "national"],
        "allowed_statuses": ["candidate", "active"],
    },
    {
        "code": "BIMTEK-LANJUTAN",
        "level": "lanjutan",
        "title": "Bimbingan Teknis PSM Lanjutan",
        "hours": 24,
        "modules": ["Asesmen sosial", "Manajemen kasus", "Advokasi sosial", "Jejaring"],
        "min_attendance_pct": 80,
        "pass_mark": 70,
        "validity_months": None,
        "prerequisite_level": "dasar",
        "organiser_levels": ["province", "national"],
        "allowed_statuses": ["active"],
    },
    *[
        {
            "code": f"BIMTEK-KHUSUS-{suffix}",
            "level": "khusus",
            "title": f"Bimbingan Teknis PSM Khusus: {title}",
            "topic": topic,
            "hours": 16,
            "modules": modules,
            "min_attendance_pct": 80,
            "pass_mark": 70,
            "validity_months": 36,
            "prerequisite_level": "lanjutan",
            "organiser_levels": ["province", "national"],
            "allowed_statuses": ["active"],
        }
        for suffix, topic, title, modules in (
            (
                "ANAK",
                "child_protection",
                "Perlindungan Anak",
                ["Hak anak", "Kekerasan terhadap anak", "Rujukan UPTD PPA"],
            ),
            (
                "DISABILITAS",
                "disability",
                "Penyandang Disabilitas",
                ["Ragam disabilitas", "Aksesibilitas", "Rehabilitasi sosial berbasis masyarakat"],
            ),
            (
                "BENCANA",
                "disaster_response",
                "Tanggap Bencana",
                ["Siaga bencana", "Dukungan psikososial", "Koordinasi dengan Tagana"],
            ),
        )
    ],
]


def organiser_level(region_code: str) -> OrganiserLevel:
    """'national' for the ministry, else 'province' (32) or 'regency' (32.76)."""
    if region_code == "national":
        return OrganiserLevel.NATIONAL
    return OrganiserLevel.PROVINCE if "." not in region_code else OrganiserLevel.REGENCY
