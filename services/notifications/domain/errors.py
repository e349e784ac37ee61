"""The domain exceptions of notifications (kinds of shared.errors; details never carry
a name, a phone number or text a user typed)."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.i18n import Text


class UnknownTemplate(NotFound):
    """No template of that name."""

    title = Text("Templat tidak dikenal", "Unknown template")


class TemplateCannotRender(Invalid):
    """The template's context lacks a value it needs, or a value of the wrong shape."""

    title = Text("Templat tidak dapat disusun", "Template cannot render")


class NotificationNotFound(NotFound):
    """No notification with that id in the caller's scope."""


class VolunteerNotFound(NotFound):
    """No volunteer with that id in the caller's scope."""


class NotResendable(Conflict):
    """The notification is being sent or was cancelled: it cannot be queued again."""

    title = Text("Tidak dapat dikirim ulang", "Cannot be resent")


class InvalidRegion(Invalid):
    """The segment's region is not a Kemendagri region code."""


class RegionOutOfScope(Forbidden):
    """The region is outside the caller's scope."""


class NationalAdminOnly(Forbidden):
    """Only a national admin may do this (message bodies carry names)."""


class DevelopmentOnly(NotFound):
    """The route exists only in development (the development channel's outbox)."""


class InvalidPreferences(Invalid):
    """A channel order must list at least one channel."""


class InvalidCursor(Invalid):
    """`after` is not a cursor a previous page gave out."""
