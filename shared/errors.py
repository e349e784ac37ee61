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


class DomainError(Exception):
    """A rule refused the request. Subclass one of the kinds below, not this class."""

    title: str = "Request refused"

    def __init__(self, detail: str, *, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if title is not None:
            self.title = title
        # Extra members of the problem document (e.g. `errors`, `retry_after_s`).
        self.extra = extra


class Invalid(DomainError):
    """The request is well-formed but breaks a rule about its values (422)."""

    title = "Invalid request"


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    title = "Not authenticated"


class Forbidden(DomainError):
    """The caller may not do this, or not in this region (403)."""

    title = "Forbidden"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it exists (404)."""

    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a wrong status) (409)."""

    title = "Conflict"


class Gone(DomainError):
    """The thing existed and was erased or withdrawn for good (410)."""

    title = "Gone"


class TooLarge(DomainError):
    """The request body or an uploaded file is over the limit (413)."""

    title = "Too large"


class UnsupportedMedia(DomainError):
    """The uploaded file is not of a type the service reads (415)."""

    title = "Unsupported media type"


class RateLimited(DomainError):
    """Too many requests; try again later (429)."""

    title = "Too many requests"


class Unavailable(DomainError):
    """A dependency (another service, the broker) cannot answer now (503)."""

    title = "Service unavailable"
