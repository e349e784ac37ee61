"""The closed lists of registry: statuses, Bimtek levels, sex (stored as their strings)."""

from __future__ import annotations

import enum

# Re-exported: the event vocabulary's lists, one definition for every service.
from shared.events.vocabulary import TrainingLevel as TrainingLevel
from shared.events.vocabulary import VolunteerStatus as VolunteerStatus


class Sex(enum.StrEnum):
    """As encoded in the NIK: L (laki-laki) or P (perempuan, birth day plus 40)."""

    L = "L"
    P = "P"


class OperatorRole(enum.StrEnum):
    """The roles an operator account can have (shared.identity.Role without `service`)."""

    NATIONAL_ADMIN = "national_admin"
    PROVINCE_OPERATOR = "province_operator"
    REGENCY_OPERATOR = "regency_operator"
    VIEWER = "viewer"


class AuditAction(enum.StrEnum):
    """What an audit-log entry records (UU 27/2022: every access to personal data)."""

    VOLUNTEER_CREATE = "volunteer.create"
    VOLUNTEER_READ = "volunteer.read"
    NIK_READ = "nik.read"
    VOLUNTEER_UPDATE = "volunteer.update"
    VOLUNTEER_EXPORT = "volunteer.export"
    VOLUNTEER_ERASE = "volunteer.erase"
    VOLUNTEER_STATUS = "volunteer.status"
    VOLUNTEER_VERIFY = "volunteer.verify"
    VOLUNTEER_TRANSFER = "volunteer.transfer"
    VOLUNTEER_IMPORT = "volunteer.import"
    VOLUNTEERS_LIST = "volunteers.list"
    VOLUNTEER_SEARCH = "volunteer.search"
    TRANSFER_REQUEST = "transfer.request"
    TRANSFER_RELEASE = "transfer.release"
    TRANSFER_CONFIRM = "transfer.confirm"
    TRANSFER_DECLINE = "transfer.decline"
    TRANSFER_CANCEL = "transfer.cancel"
    VOLUNTEERS_EXPORT = "volunteers.export"
    CONTACT_READ = "contact.read"
    OPERATORS_READ = "operators.read"
    OPERATOR_CREATE = "operator.create"
    OPERATOR_DISABLE = "operator.disable"
    OPERATOR_ENABLE = "operator.enable"
    OPERATOR_ROLE_SCOPE = "operator.role_scope"
    OPERATOR_PASSWORD = "operator.password"  # noqa: S105 - an action, not a secret
    ACCESS_LINK_SEND = "access_link.send"  # a one-time page link sent to the volunteer
    ACCESS_LINK_REDEEM = "access_link.redeem"  # the volunteer opened their page with it


class RevocationReason(enum.StrEnum):
    """Why an operator's tokens (all of them, or one login session's) stopped being valid."""

    DISABLED = "disabled"
    SCOPE_CHANGED = "scope_changed"
    ROLE_CHANGED = "role_changed"
    LOGOUT = "logout"
    REFRESH_REUSE = "refresh_reuse"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a secret


class ImportStatus(enum.StrEnum):
    """Where a bulk import stands: its record exists before its first row is written."""

    RUNNING = "running"
    COMPLETED = "completed"
    #: stopped by an error; the counts say what was imported (re-import to finish)
    FAILED = "failed"
    #: its process died (no progress for `import_stale_after_s`); marked at start-up
    INTERRUPTED = "interrupted"


class TransferState(enum.StrEnum):
    """Where a transfer between regencies stands (`pending_transfers`)."""

    #: the destination operator asked for the volunteer; the origin operator decides
    REQUESTED = "requested"
    #: the origin operator released the volunteer; the destination operator decides
    RELEASED = "released"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class TransferSide(enum.StrEnum):
    """Which end of a transfer an operator's scope covers."""

    ORIGIN = "origin"
    DESTINATION = "destination"
