"""The domain exceptions of registry (kinds of shared.errors).

Details never carry a NIK, a name, a phone number or text a user typed: they name fields,
statuses and ids only. Titles and details are `shared.i18n.Text`s (Bahasa Indonesia and
English; the caller gets the language its `Accept-Language` prefers, Indonesian by default).
"""

from __future__ import annotations

import uuid

from shared.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from shared.i18n import Text, t


class InvalidVolunteer(Invalid):
    """A registration or correction broke a rule; `field` names the field (never its value)."""

    title = Text("Data relawan tidak valid", "Invalid volunteer")

    def __init__(self, field: str, message: Text) -> None:
        detail = Text(f"{field}: {message.id}", f"{field}: {message.en}")
        super().__init__(detail, errors=[{"field": field, "message": message}])
        self.field = field
        self.message = message


class DuplicateNik(Conflict):
    """The NIK is already registered; the problem names the existing record's id only."""

    title = Text("Sudah terdaftar", "Already registered")

    def __init__(self, existing_id: uuid.UUID) -> None:
        super().__init__(
            t(
                "relawan dengan NIK ini sudah terdaftar: {id}",
                "a volunteer with this NIK is already registered: {id}",
                id=existing_id,
            ),
            existing_id=str(existing_id),
        )
        self.existing_id = existing_id


class OutOfScope(Forbidden):
    """The target region lies outside the caller's region."""

    title = Text("Di luar wilayah Anda", "Outside your region")


#: The detail of an `OutOfScope` for a village code (registration, move).
VILLAGE_OUTSIDE_REGION = Text(
    "village_code: desa/kelurahan ini di luar wilayah Anda", "village_code is outside your region"
)


class Erased(Gone):
    """The volunteer's data was erased on their request."""

    title = Text("Data sudah dihapus", "Erased")

    def __init__(self) -> None:
        super().__init__(
            t(
                "data relawan ini sudah dihapus atas permintaan yang bersangkutan",
                "this volunteer's data was erased on their request",
            )
        )


class IllegalTransition(Conflict):
    """A lifecycle change the rules do not allow now (wrong status, missing step)."""

    title = Text("Tidak dapat dilakukan saat ini", "Not allowed now")


class VolunteerNotFound(NotFound):
    """No volunteer with that id in the caller's region."""

    def __init__(self, volunteer_id: uuid.UUID) -> None:
        super().__init__(t("relawan {id} tidak ditemukan", "no volunteer {id}", id=volunteer_id))


class ImportNotFound(NotFound):
    """No import with that id made in the caller's region."""

    def __init__(self, import_id: uuid.UUID) -> None:
        super().__init__(t("impor {id} tidak ditemukan", "no import {id}", id=import_id))


class RegionNotFound(NotFound):
    """No region with that code in the current Kemendagri dataset."""


class InvalidOperator(Invalid):
    """An operator account whose role and scope do not fit together, or a taken email."""

    title = Text("Akun operator tidak valid", "Invalid operator")


class OperatorExists(Conflict):
    """An operator account with this email exists already."""

    title = Text("Akun operator sudah ada", "Operator exists")


class UnreadableFile(Invalid):
    """The uploaded file is neither a CSV nor an XLSX with the expected header row."""

    title = Text("Berkas tidak dapat dibaca", "Unreadable file")

    def __init__(self, detail: Text) -> None:
        super().__init__(detail, errors=[{"field": "file", "message": detail}])


class ServiceTokenRefused(Forbidden):
    """Service tokens may call the /internal endpoints only."""


class AccountManagersOnly(Forbidden):
    """Only national admins and province operators manage operator accounts."""


class NationalAdminOnly(Forbidden):
    """Only national admins may do this."""


class FullNikRefused(Forbidden):
    """The caller's role may not see full NIKs."""

    def __init__(self, role: str) -> None:
        super().__init__(
            t(
                "peran {role} tidak boleh melihat NIK lengkap",
                "role {role} may not see full NIKs",
                role=role,
            )
        )


class OperatorNotFound(NotFound):
    """No operator account with that id among those the caller may manage."""

    def __init__(self, operator_id: uuid.UUID) -> None:
        super().__init__(t("operator {id} tidak ditemukan", "no operator {id}", id=operator_id))


class OutOfReach(Forbidden):
    """The caller may not give an account this role or scope (above their own, or outside
    their province)."""

    title = Text("Di luar kewenangan Anda", "Outside your reach")


class WeakPassword(Invalid):
    """A new password breaks the password rules (the password itself is never echoed)."""

    title = Text("Kata sandi terlalu lemah", "Weak password")

    def __init__(self, message: Text, field: str = "password") -> None:
        detail = Text(f"{field}: {message.id}", f"{field}: {message.en}")
        super().__init__(detail, errors=[{"field": field, "message": message}])


class WrongPassword(Forbidden):
    """The current password given to change it does not match."""

    title = Text("Kata sandi salah", "Wrong password")


class LoginFailed(Unauthenticated):
    """Unknown email, wrong password or a disabled account: one answer for all three, so the
    answer does not tell which accounts exist."""

    title = Text("Gagal masuk", "Login failed")

    def __init__(self) -> None:
        super().__init__(
            t(
                "email atau kata sandi salah, atau akun sedang dinonaktifkan",
                "the email or the password is wrong, or the account is disabled",
            )
        )


class RefreshRefused(Unauthenticated):
    """The refresh token is unknown, spent, expired or its session ended: log in again."""

    title = Text("Token penyegaran tidak berlaku", "Invalid refresh token")

    def __init__(self) -> None:
        super().__init__(
            t(
                "token penyegaran tidak berlaku: silakan masuk lagi",
                "the refresh token is not valid: log in again",
            )
        )


class ClientRefused(Unauthenticated):
    """Client credentials of an unknown service or with a wrong secret."""

    title = Text("Klien tidak valid", "Invalid client")

    def __init__(self) -> None:
        super().__init__(
            t(
                "klien tidak dikenal atau rahasia klien salah",
                "unknown client or wrong client secret",
            )
        )


class UploadTooLarge(TooLarge):
    """The upload, or a workbook's unzipped content or its rows or columns, is over the limit."""

    title = Text("Berkas terlalu besar", "File too large")


class ImportFailed(Unavailable):
    """The import stopped part-way (e.g. the database went away); the problem carries the
    import's id and the counts of what was imported (re-import the file to finish it)."""

    title = Text("Impor terhenti", "Import stopped")


class TransferNotFound(NotFound):
    """No pending transfer with this id at either end of the caller's region."""

    title = Text("Perpindahan tidak ditemukan", "Transfer not found")

    def __init__(self, transfer_id: object) -> None:
        super().__init__(
            t(
                "tidak ada perpindahan {id} di wilayah Anda",
                "no transfer {id} in your region",
                id=transfer_id,
            )
        )
