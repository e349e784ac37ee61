"""The domain exceptions of training (kinds of shared.errors; details carry ids, codes and
statuses only, never a name or text a user typed)."""

from __future__ import annotations

from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.i18n import Text, t


class InvalidField(Invalid):
    """A value breaks one of training's rules; `errors` names the field."""

    def __init__(self, field: str, message: Text | str) -> None:
        if isinstance(message, str):  # not yet translated
            message = Text(message, message)
        super().__init__(
            t("{field}: {id}", "{field}: {en}", field=field, id=message.id, en=message.en),
            errors=[{"field": field, "message": message}],
        )


class SessionRuleBroken(InvalidField):
    """The session's dates, venue, organiser or course break a scheduling rule."""

    title = Text("Sesi tidak valid", "Invalid session")


class DayOutsideSession(InvalidField):
    """Attendance is recorded only for a day of the session."""


class UnknownQuota(InvalidField):
    """An enrolment named a quota that is not one of the session's organisation quotas."""


class InvalidRegion(InvalidField):
    """A report's region is national, a province or a regency."""


class CourseNotFound(NotFound):
    """No course with that code."""


class SessionNotFound(NotFound):
    """No session with that id in the caller's scope."""


class EnrolmentNotFound(NotFound):
    """No enrolment with that id in the caller's scope (or in that session)."""


class CertificateNotFound(NotFound):
    """No certificate with that id in the caller's scope, or with that verification code."""


class VolunteerNotFound(NotFound):
    """training knows no volunteer with that id."""


class RegionOutOfScope(Forbidden):
    """The region lies outside the caller's scope."""

    def __init__(self, region_code: str, field: str = "organiser_region_code") -> None:
        super().__init__(
            t(
                "Wilayah {region} berada di luar cakupan Anda",
                "your scope does not include region {region}",
                region=region_code,
            ),
            errors=[{"field": field, "message": t("di luar cakupan Anda", "outside your scope")}],
        )


class NationalAdminOnly(Forbidden):
    """Only national admins may change courses."""


class IssuerScopeOnly(Forbidden):
    """Only the issuing organiser's scope may revoke or re-issue a certificate."""


class CourseExists(Conflict):
    """A course with that code exists already."""


class WrongSessionStatus(Conflict):
    """The session's status does not allow this (e.g. editing a completed session)."""


class NotAParticipant(Conflict):
    """The enrolment is not a confirmed place in the session."""


class EnrolmentNotActive(Conflict):
    """The enrolment was cancelled already, or its session is over."""


class WrongCertificateStatus(Conflict):
    """Only a valid certificate can be revoked or re-issued."""


class CapacityBelowConfirmed(Conflict):
    """More participants are confirmed than the new capacity."""


class CompletionTooEarly(Conflict):
    """A session is completed on or after its last day, unless forced with a reason code."""


class ReopenWindowClosed(Conflict):
    """A completed session is re-opened only within the configured window."""
