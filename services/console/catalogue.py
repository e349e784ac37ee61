"""Every label of the console, in Bahasa Indonesia and English (`shared.i18n.Text`).

One catalogue, so a page never carries a text of its own: templates call `_("key")`.
The language is the `lang` cookie (not in URLs), Indonesian unless it says English.
"""

from __future__ import annotations

from services.console.catalogue_bimtek import BIMTEK_LABELS
from services.console.catalogue_certificates import CERTIFICATE_LABELS
from services.console.catalogue_volunteer import VOLUNTEER_LABELS
from shared.i18n import Language, Text, t

LANG_COOKIE = "lang"

LABELS: dict[str, Text] = {
    "app": t("Konsol PSM", "PSM console"),
    "skip": t("Langsung ke isi", "Skip to content"),
    "nav.dashboard": t("Dasbor", "Dashboard"),
    "nav.psm": t("PSM", "PSM"),
    "nav.import": t("Impor", "Import"),
    "nav.operators": t("Operator", "Operators"),
    "nav.logout": t("Keluar", "Sign out"),
    "lang.switch": t("English", "Bahasa Indonesia"),
    "login.title": t("Masuk", "Sign in"),
    "login.email": t("Email", "Email"),
    "login.password": t("Kata sandi", "Password"),
    "login.submit": t("Masuk", "Sign in"),
    "login.failed": t(
        "Email atau kata sandi salah, atau akun dinonaktifkan.",
        "Wrong email or password, or the account is disabled.",
    ),
    "login.throttled": t(
        "Terlalu banyak percobaan masuk. Coba lagi sebentar lagi.",
        "Too many sign-in attempts. Try again shortly.",
    ),
    "login.expired": t(
        "Sesi Anda berakhir karena tidak ada aktivitas. Silakan masuk lagi.",
        "Your session ended after a period of inactivity. Please sign in again.",
    ),
    "login.needed": t("Silakan masuk terlebih dahulu.", "Please sign in first."),
    "login.out": t("Anda telah keluar.", "You have signed out."),
    "scope": t("Wilayah", "Region"),
    "role": t("Peran", "Role"),
    "error.title": t("Terjadi masalah", "Something went wrong"),
    "error.403": t(
        "Anda tidak berwenang membuka halaman ini.", "You are not allowed to open this page."
    ),
    "error.404": t(
        "Data tidak ditemukan, atau berada di luar wilayah Anda.",
        "Not found, or outside your region.",
    ),
    "error.csrf": t(
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "error.unavailable": t(
        "Layanan sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
        "A service cannot be reached right now. Try again shortly.",
    ),
    "error.back": t("Kembali ke dasbor", "Back to the dashboard"),
    "form.errors": t("Periksa isian yang ditandai.", "Check the marked fields."),
    # dashboard
    "dash.title": t("Dasbor", "Dashboard"),
    "dash.by_status": t("PSM per wilayah menurut status", "PSM per region by status"),
    "dash.by_level": t("PSM per wilayah menurut tingkat Bimtek", "PSM per region by Bimtek level"),
    "dash.region": t("Wilayah", "Region"),
    "dash.total": t("Jumlah", "Total"),
    "dash.training": t("Bimtek tahun {year}", "Bimtek in {year}"),
    "dash.sessions_held": t("Sesi terlaksana", "Sessions held"),
    "dash.participants": t("Peserta", "Participants"),
    "dash.passed": t("Lulus", "Passed"),
    "dash.pass_rate": t("Tingkat kelulusan", "Pass rate"),
    "dash.improvement": t("Kenaikan nilai pra→pasca", "Pre→post improvement"),
    "dash.health": t("Kesehatan platform", "Platform health"),
    "dash.service": t("Layanan", "Service"),
    "dash.outbox": t("Antrean outbox", "Outbox backlog"),
    "dash.outbox_age": t("Umur tertua (detik)", "Oldest age (s)"),
    "dash.lag": t("Ketertinggalan konsumen", "Consumer lag"),
    "dash.dead": t("Pesan gagal (DLQ)", "Dead letters"),
    "dash.unreachable": t("tidak terjangkau", "unreachable"),
    "dash.none": t("Belum ada data.", "No data yet."),
    "dash.year": t("Tahun", "Year"),
    # statuses and levels
    "status.candidate": t("Calon", "Candidate"),
    "status.active": t("Aktif", "Active"),
    "status.inactive": t("Tidak aktif", "Inactive"),
    "status.resigned": t("Mengundurkan diri", "Resigned"),
    "status.revoked": t("Dicabut", "Revoked"),
    "status.deceased": t("Meninggal dunia", "Deceased"),
    "level.none": t("Belum Bimtek", "No Bimtek yet"),
    "level.dasar": t("Dasar", "Basic"),
    "level.lanjutan": t("Lanjutan", "Advanced"),
    "level.khusus": t("Khusus", "Special"),
    # PSM
    "psm.title": t("Daftar PSM", "PSM list"),
    "psm.search": t("Cari", "Search"),
    "psm.name": t("Nama", "Name"),
    "psm.nik": t("NIK", "NIK"),
    "psm.nik_hint": t("16 angka; dicari persis.", "16 digits; exact match."),
    "psm.status": t("Status", "Status"),
    "psm.level": t("Tingkat Bimtek", "Bimtek level"),
    "psm.region": t("Kode wilayah", "Region code"),
    "psm.region_hint": t("Mis. 32.76 atau 32.76.01", "E.g. 32.76 or 32.76.01"),
    "psm.all": t("Semua", "All"),
    "psm.village": t("Desa/kelurahan", "Village"),
    "psm.registered": t("Terdaftar", "Registered"),
    "psm.none": t("Tidak ada PSM yang cocok.", "No matching PSM."),
    "psm.count": t("{total} PSM", "{total} PSM"),
    "psm.next": t("Berikutnya", "Next"),
    "psm.prev": t("Sebelumnya", "Previous"),
    "psm.export_csv": t("Unduh CSV", "Download CSV"),
    "psm.export_xlsx": t("Unduh XLSX", "Download XLSX"),
    "psm.new": t("Daftarkan PSM", "Register a PSM"),
    "psm.detail": t("Data PSM", "PSM record"),
    "psm.birth_date": t("Tanggal lahir", "Birth date"),
    "psm.birth_place": t("Tempat lahir", "Birth place"),
    "psm.sex": t("Jenis kelamin", "Sex"),
    "psm.sex.L": t("Laki-laki", "Male"),
    "psm.sex.P": t("Perempuan", "Female"),
    "psm.address": t("Alamat", "Address"),
    "psm.phone": t("Nomor HP", "Phone number"),
    "psm.email": t("Email", "Email"),
    "psm.village_code": t("Kode desa/kelurahan", "Village code"),
    "psm.village_hint": t(
        "Kode Kemendagri, mis. 32.76.01.1006", "Kemendagri code, e.g. 32.76.01.1006"
    ),
    "psm.consent_data": t(
        "Setuju datanya diolah untuk program PSM", "Agrees to data processing for the PSM programme"
    ),
    "psm.consent_contact": t("Setuju dihubungi", "Agrees to be contacted"),
    "psm.save": t("Simpan", "Save"),
    "psm.saved": t("PSM terdaftar.", "PSM registered."),
    "psm.history": t("Riwayat status", "Status history"),
    "psm.changed_at": t("Waktu", "Time"),
    "psm.from": t("Dari", "From"),
    "psm.to": t("Menjadi", "To"),
    "psm.reason": t("Alasan", "Reason"),
    "psm.change_status": t("Ubah status", "Change status"),
    "psm.new_status": t("Status baru", "New status"),
    "psm.transfer": t("Pindah domisili", "Move to another village"),
    "psm.transfer_to": t("Kode desa/kelurahan tujuan", "Destination village code"),
    "psm.transfers": t("Perpindahan", "Transfers"),
    "psm.certificates": t("Sertifikat", "Certificates"),
    "psm.enrolments": t("Bimtek yang diikuti", "Bimtek attended"),
    "psm.course": t("Kursus", "Course"),
    "psm.enrol_status": t("Status pendaftaran", "Enrolment status"),
    "psm.outcome": t("Hasil", "Outcome"),
    "psm.enrol.confirmed": t("Terkonfirmasi", "Confirmed"),
    "psm.enrol.waitlisted": t("Daftar tunggu", "Waitlisted"),
    "psm.enrol.cancelled": t("Dibatalkan", "Cancelled"),
    "psm.enrolments_unavailable": t(
        "Data Bimtek tidak dapat dibaca saat ini.", "Bimtek records cannot be read right now."
    ),
    "psm.messages": t("Pesan", "Messages"),
    "psm.nothing": t("Belum ada.", "None yet."),
    "psm.updated": t("Perubahan disimpan.", "Change saved."),
    # import
    "imp.title": t("Impor daftar PSM", "Import a PSM list"),
    "imp.file": t("Berkas CSV atau XLSX", "CSV or XLSX file"),
    "imp.hint": t(
        "Kolom wajib: nik, full_name, birth_date, sex, village_code.",
        "Required columns: nik, full_name, birth_date, sex, village_code.",
    ),
    "imp.submit": t("Unggah dan impor", "Upload and import"),
    "imp.busy": t("Sedang mengimpor…", "Importing…"),
    "imp.result": t("Hasil impor", "Import result"),
    "imp.status": t("Status", "Status"),
    "imp.rows": t("Baris", "Rows"),
    "imp.imported": t("Diimpor", "Imported"),
    "imp.invalid": t("Tidak valid", "Invalid"),
    "imp.duplicates": t("Duplikat", "Duplicates"),
    "imp.report": t("Unduh laporan kesalahan (CSV)", "Download the error report (CSV)"),
    "imp.again": t("Impor berkas lain", "Import another file"),
    "imp.registered": t("Sudah terdaftar", "Already registered"),
    "imp.report_new": t(
        "Unduh laporan tanpa baris yang sudah terdaftar (CSV)",
        "Download the report without the rows already registered (CSV)",
    ),
    # operators
    "op.title": t("Akun operator", "Operator accounts"),
    "op.new": t("Akun baru", "New account"),
    "op.active": t("Aktif", "Active"),
    "op.disabled": t("Nonaktif", "Disabled"),
    "op.disable": t("Nonaktifkan", "Disable"),
    "op.enable": t("Aktifkan", "Enable"),
    "op.create": t("Buat akun", "Create account"),
    "op.password_hint": t("12–256 karakter.", "12–256 characters."),
    "op.scope_hint": t(
        "national, kode provinsi (32) atau kabupaten/kota (32.76)",
        "national, a province (32) or regency (32.76) code",
    ),
    "role.national_admin": t("Admin nasional", "National admin"),
    "role.province_operator": t("Operator provinsi", "Province operator"),
    "role.regency_operator": t("Operator kabupaten/kota", "Regency operator"),
    "role.viewer": t("Peninjau", "Viewer"),
}


LABELS.update(BIMTEK_LABELS)
LABELS.update(CERTIFICATE_LABELS)
LABELS.update(VOLUNTEER_LABELS)


def label(key: str, language: Language, **params: object) -> str:
    """The label `key` in `language` (the key itself when missing, so a gap shows)."""
    text = LABELS.get(key)
    if text is None:
        return key
    value = text.get(language)
    return value.format(**params) if params else value


def language_of_cookie(value: str | None) -> Language:
    """The page language: English only when the `lang` cookie says so."""
    return "en" if value == "en" else "id"
