"""The domain exceptions every service raises: one small hierarchy, no web framework.

Use-cases and domain code raise a subclass of one of these kinds; `shared.problems` is the
one place that turns a kind into an HTTP status and an RFC 9457 problem document, and that
documents each route's possible errors in OpenAPI. A service defines its own exceptions by
subclassing a kind (`class DuplicateNik(Conflict)`), so the mapping never needs to know
the service.

The `detail` is shown to the caller and written to logs: never put a NIK, a name, a phone
number or free text typed by a user into it.
"""

from __future__ import annotations

from typing import Any

from shared.i18n import Text


class DomainError(Exception):
    """A rule refused the request. Subclass one of the kinds below, not this class.

    `detail` (and a subclass's `title`) is a `shared.i18n.Text` (Indonesian and English,
    answered in the caller's language) or, not yet translated, a plain string.
    """

    title: str | Text = Text("Permintaan ditolak", "Request refused")

    def __init__(
        self, detail: str | Text, *, title: str | Text | None = None, **extra: Any
    ) -> None:
        super().__init__(str(detail))
        self.text = detail
        self.detail = str(detail)
        if title is not None:
            self.title = title
        # Extra members of the problem document (e.g. `errors`, `retry_after_s`).
        self.extra = extra


class Invalid(DomainError):
    """The request is well-formed but breaks a rule about its values (422)."""

    title = Text("Permintaan tidak valid", "Invalid request")


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    title = Text("Belum masuk (tidak terautentikasi)", "Not authenticated")


class Forbidden(DomainError):
    """The caller may not do this, or not in this region (403)."""

    title = Text("Tidak diizinkan", "Forbidden")


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it exists (404)."""

    title = Text("Tidak ditemukan", "Not found")


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a wrong status) (409)."""

    title = Text("Bertentangan dengan data yang ada", "Conflict")


class Gone(DomainError):
    """The thing existed and was erased or withdrawn for good (410)."""

    title = Text("Sudah tidak ada", "Gone")


class TooLarge(DomainError):
    """The request body or an uploaded file is over the limit (413)."""

    title = Text("Terlalu besar", "Too large")


class UnsupportedMedia(DomainError):
    """The uploaded file is not of a type the service reads (415)."""

    title = Text("Jenis berkas tidak didukung", "Unsupported media type")


class RateLimited(DomainError):
    """Too many requests; try again later (429)."""

    title = Text("Terlalu banyak permintaan", "Too many requests")


class Unavailable(DomainError):
    """A dependency (another service, the broker) cannot answer now (503)."""

    title = Text("Layanan tidak tersedia", "Service unavailable")
