"""The labels of the volunteer's own page (opened with a one-time link), in Bahasa
Indonesia and English. Kept apart from `catalogue.py`, which merges them."""

from __future__ import annotations

from shared.i18n import Text, t

VOLUNTEER_LABELS: dict[str, Text] = {
    "link.title": t("Halaman PSM saya", "My PSM page"),
    "link.intro": t(
        "Tautan ini hanya dapat dipakai sekali. Tekan tombol di bawah untuk membuka halaman Anda.",
        "This link works once. Press the button below to open your page.",
    ),
    "link.open": t("Buka halaman saya", "Open my page"),
    "link.over.title": t("Tautan tidak berlaku", "The link is not valid"),
    "link.over": t(
        "Tautan ini sudah dipakai atau sudah kedaluwarsa. Minta tautan baru kepada operator "
        "Dinas Sosial kabupaten/kota Anda.",
        "This link was already used or has expired. Ask the Dinas Sosial operator of your "
        "regency for a new link.",
    ),
    "link.throttled": t(
        "Terlalu banyak percobaan. Coba lagi beberapa menit lagi.",
        "Too many attempts. Try again in a few minutes.",
    ),
    "link.visit_over": t(
        "Kunjungan Anda sudah berakhir. Untuk membuka halaman Anda lagi, minta tautan baru "
        "kepada operator Dinas Sosial kabupaten/kota Anda.",
        "Your visit has ended. To open your page again, ask the Dinas Sosial operator of "
        "your regency for a new link.",
    ),
    "link.left": t("Anda telah keluar dari halaman Anda.", "You have left your page."),
    "me.title": t("Halaman PSM saya", "My PSM page"),
    "me.status": t("Status", "Status"),
    "me.level": t("Tingkat Bimtek", "Bimtek level"),
    "me.nik": t("NIK", "NIK"),
    "me.domicile": t("Domisili", "Domicile"),
    "me.registered": t("Terdaftar sejak", "Registered since"),
    "me.history": t("Riwayat status", "Status history"),
    "me.certificates": t("Sertifikat", "Certificates"),
    "me.no_certificates": t("Belum ada sertifikat.", "No certificates yet."),
    "me.download": t("Unduh PDF", "Download PDF"),
    "me.upcoming": t("Bimtek yang akan datang", "Upcoming Bimtek"),
    "me.no_upcoming": t("Tidak ada Bimtek yang akan datang.", "No upcoming Bimtek."),
    "me.enrol.confirmed": t("Terdaftar", "Enrolled"),
    "me.enrol.waitlisted": t("Daftar tunggu", "Waitlisted"),
    "me.prefs": t("Pesan untuk saya", "Messages to me"),
    "me.channel": t("Kirim pesan lewat", "Send messages by"),
    "me.quiet": t("Jam tenang (tidak ada pesan)", "Quiet hours (no messages)"),
    "me.quiet_start": t("Mulai pukul", "From"),
    "me.quiet_end": t("Sampai pukul", "Until"),
    "me.save": t("Simpan", "Save"),
    "me.saved": t("Tersimpan.", "Saved."),
    "me.prefs_unavailable": t(
        "Pengaturan pesan belum dapat ditampilkan. Coba lagi nanti.",
        "Message settings cannot be shown yet. Try again later.",
    ),
    "me.leave": t("Keluar", "Leave"),
    "prefs.invalid": t("Pengaturan tidak sah.", "The settings are not valid."),
    "channel.whatsapp": t("WhatsApp", "WhatsApp"),
    "channel.sms": t("SMS", "SMS"),
    "channel.email": t("Email", "Email"),
    "person.send_link": t("Kirim tautan halaman PSM", "Send the PSM page link"),
    "person.link_sent": t(
        "Tautan halaman PSM sudah dikirim ke kanal pesan orang ini (berlaku 24 jam, sekali pakai).",
        "The PSM page link was sent over this person's channel (valid 24 hours, single use).",
    ),
    "person.link_not_sent": t(
        "Tautan belum terkirim; coba lagi nanti.", "The link was not sent; try again later."
    ),
}
