"""The labels of the certificate printing and public verification pages, in Bahasa
Indonesia and English (merged into `catalogue.LABELS`)."""

from __future__ import annotations

from shared.i18n import Text, t

CERTIFICATE_LABELS: dict[str, Text] = {
    # printing
    "cert.not_printed": t("Sertifikat tidak dicetak", "Certificate not printed"),
    "cert.revoked": t(
        "Sertifikat {number} telah DICABUT dan tidak dicetak: sertifikat yang dicabut bukan "
        "lagi bukti kelulusan, dan nama pemegangnya tidak perlu dibaca untuk itu.",
        "Certificate {number} has been REVOKED and is not printed: a revoked certificate no "
        "longer proves a pass, and its holder's name need not be read for it.",
    ),
    "cert.superseded": t(
        "Sertifikat {number} telah diganti oleh sertifikat yang diterbitkan ulang; cetak "
        "sertifikat penggantinya.",
        "Certificate {number} was superseded by a re-issued certificate; print the new one.",
    ),
    "cert.print_replacement": t("Cetak sertifikat pengganti", "Print the replacement"),
    "cert.no_name": t(
        "Nama pemegang tidak tersedia untuk sertifikat berikut, sehingga tidak dicetak "
        "(datanya telah dihapus atas permintaan pemiliknya, atau ia berdomisili di luar "
        "wilayah Anda). Sertifikat tanpa nama tidak dicetak.",
        "The holder's name is not available for the certificates below, so they are not "
        "printed (their data was erased at their request, or they live outside your "
        "region). No certificate is printed without a name.",
    ),
    "cert.print_rest": t(
        "Cetak {count} sertifikat lainnya", "Print the other {count} certificates"
    ),
    "cert.none": t(
        "Sesi ini belum menerbitkan sertifikat yang berlaku.",
        "This session has not issued any valid certificate yet.",
    ),
    "cert.number": t("Nomor sertifikat", "Certificate number"),
    "cert.back_session": t("Kembali ke sesi", "Back to the session"),
    # public verification
    "verify.nav": t("Verifikasi sertifikat", "Verify a certificate"),
    "verify.title": t("Verifikasi sertifikat Bimtek PSM", "Verify a PSM Bimtek certificate"),
    "verify.intro": t(
        "Masukkan kode verifikasi yang tercetak pada sertifikat, atau pindai kode QR-nya.",
        "Enter the verification code printed on the certificate, or scan its QR code.",
    ),
    "verify.code": t("Kode verifikasi", "Verification code"),
    "verify.code_hint": t("Mis. ABCDE-FGHJK", "E.g. ABCDE-FGHJK"),
    "verify.code_bad": t(
        "Kode terdiri dari huruf dan angka (boleh dengan tanda hubung).",
        "The code is letters and digits (a hyphen may separate them).",
    ),
    "verify.submit": t("Periksa", "Check"),
    "verify.status": t("Status", "Status"),
    "verify.status.valid": t("Sah", "Valid"),
    "verify.status.expired": t("Kedaluwarsa", "Expired"),
    "verify.status.revoked": t("Dicabut", "Revoked"),
    "verify.status.superseded": t("Diganti", "Superseded"),
    "verify.explain.valid": t(
        "Sertifikat ini sah dan masih berlaku.", "This certificate is genuine and in force."
    ),
    "verify.explain.expired": t(
        "Sertifikat ini asli, tetapi masa berlakunya telah habis.",
        "This certificate is genuine, but its validity has ended.",
    ),
    "verify.explain.revoked": t(
        "Sertifikat ini telah dicabut oleh penerbitnya dan tidak berlaku.",
        "This certificate was revoked by its issuer and is not in force.",
    ),
    "verify.explain.superseded": t(
        "Sertifikat ini telah diganti dengan sertifikat nomor {number}.",
        "This certificate was replaced by certificate number {number}.",
    ),
    "verify.course": t("Pelatihan", "Course"),
    "verify.level": t("Tingkat", "Level"),
    "verify.hours": t("{hours} jam pelajaran", "{hours} hours"),
    "verify.session": t("Sesi", "Session"),
    "verify.dates": t("Tanggal pelaksanaan", "Dates"),
    "verify.issuer": t("Penerbit", "Issuer"),
    "verify.issued": t("Tanggal terbit", "Issued on"),
    "verify.valid_until": t("Berlaku sampai", "Valid until"),
    "verify.no_end": t("Tanpa batas waktu", "No end date"),
    "verify.holder": t("Rujukan pemegang", "Holder reference"),
    "verify.holder_note": t(
        "Nama pemegang tidak ditampilkan di sini: cocokkan dengan nama yang tercetak pada "
        "sertifikat dan dokumen identitasnya.",
        "The holder's name is not shown here: compare the name printed on the certificate "
        "with their identity document.",
    ),
    "verify.reason": t("Alasan pencabutan", "Reason for revocation"),
    "verify.reason.issued_in_error": t("Diterbitkan karena kekeliruan", "Issued in error"),
    "verify.reason.attendance_falsified": t(
        "Data kehadiran tidak benar", "Attendance was falsified"
    ),
    "verify.reason.test_result_falsified": t(
        "Hasil ujian tidak benar", "Test result was falsified"
    ),
    "verify.reason.identity_mismatch": t("Identitas tidak sesuai", "Identity mismatch"),
    "verify.reason.duplicate": t("Sertifikat ganda", "Duplicate"),
    "verify.reason.other": t("Alasan lain", "Other reason"),
    "verify.not_found": t("Sertifikat tidak ditemukan", "Certificate not found"),
    "verify.not_found_text": t(
        "Tidak ada sertifikat dengan kode verifikasi ini. Periksa kembali kode yang tercetak "
        "pada sertifikat; sertifikat tanpa kode yang terdaftar tidak dapat dianggap sah.",
        "No certificate has this verification code. Check the code printed on the "
        "certificate again; a certificate whose code is not registered cannot be taken "
        "as genuine.",
    ),
    "verify.throttled": t(
        "Terlalu banyak pemeriksaan dalam waktu singkat. Coba lagi dalam satu menit.",
        "Too many checks in a short time. Try again in a minute.",
    ),
    "verify.again": t("Periksa kode lain", "Check another code"),
    "verify.signature": t("Tanda tangan digital", "Digital signature"),
}
