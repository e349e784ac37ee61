"""registry's own tables (its SQLModel metadata; migrations see nothing else)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from services.registry.domain.enums import (
    AuditAction,
    ImportStatus,
    OperatorRole,
    RevocationReason,
    Sex,
    TrainingLevel,
    TransferSide,
    TransferState,
    VolunteerStatus,
)
from shared.columns import enum_field, one_of
from shared.db import new_registry
from shared.ids import uuid7
from shared.inbox import define_inbox
from shared.outbox import define_outbox


class RegistryModel(SQLModel, registry=new_registry()):
    """Base of registry's tables: its own metadata."""


metadata = RegistryModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


class Volunteer(RegistryModel, table=True):
    """One PSM (candidate or later). Personal fields are nulled/anonymised on erasure."""

    __tablename__ = "volunteers"
    __table_args__ = (
        # Region-scoped listing and counting at 500k rows: every scope level has an index
        # that starts with its code, so a regency operator's queries touch only their rows.
        # erased_at is in the key so counts (which skip erased rows) never touch the table.
        Index("ix_volunteers_province_status", "province_code", "status", "erased_at"),
        Index("ix_volunteers_regency_status", "regency_code", "status", "erased_at"),
        Index("ix_volunteers_regency_registered", "regency_code", "registered_at", "id"),
        Index("ix_volunteers_province_registered", "province_code", "registered_at", "id"),
        Index("ix_volunteers_registered", "registered_at", "id"),
        one_of("status", VolunteerStatus),
        one_of("training_level", TrainingLevel),
        one_of("sex", Sex),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    nik_hash: str | None = Field(default=None, max_length=96, unique=True)  # "<key id>:" + 64 hex
    nik_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    full_name: str = Field(max_length=200)
    name_search: str = Field(default="", max_length=200)
    birth_place: str | None = Field(default=None, max_length=100)
    birth_date: date | None = None
    sex: Sex | None = enum_field(Sex, 1, default=None)
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=200)
    education: str | None = Field(default=None, max_length=100)
    occupation: str | None = Field(default=None, max_length=100)
    ipsm_number: str | None = Field(default=None, max_length=50)
    village_head_recommender: str | None = Field(default=None, max_length=200)
    village_head_recommended_on: date | None = None
    ipsm_recommender: str | None = Field(default=None, max_length=200)
    ipsm_recommended_on: date | None = None
    decree_number: str | None = Field(default=None, max_length=100)
    decree_date: date | None = None
    decree_issuer: str | None = Field(default=None, max_length=200)
    consent_data_processing: bool = False
    consent_contact: bool = False
    consented_at: datetime | None = None
    village_code: str = Field(max_length=13, index=True)
    district_code: str = Field(max_length=8, index=True)
    regency_code: str = Field(max_length=5)
    province_code: str = Field(max_length=2)
    region_dataset: str = Field(max_length=40)
    status: VolunteerStatus = enum_field(VolunteerStatus, 20, index=True)
    training_level: TrainingLevel | None = enum_field(TrainingLevel, 20, default=None)
    dasar_passed_at: datetime | None = None
    verified_at: datetime | None = None
    verified_by: str | None = Field(default=None, max_length=200)
    registered_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None


class StatusChange(RegistryModel, table=True):
    """Every lifecycle transition, with who did it, why and when."""

    __tablename__ = "status_history"
    __table_args__ = (one_of("old_status", VolunteerStatus), one_of("new_status", VolunteerStatus))

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    old_status: VolunteerStatus | None = enum_field(VolunteerStatus, 20, default=None)
    new_status: VolunteerStatus = enum_field(VolunteerStatus, 20)
    reason: str | None = Field(default=None, max_length=500)
    actor: str = Field(max_length=200)
    changed_at: datetime


class HeldCertificate(RegistryModel, table=True):
    """A Bimtek certificate registry learnt of (certificate-issued), and whether it still
    counts: a revoked or superseded one does not. `legacy` rows stand for certificates
    issued before registry kept this table (one per level the volunteer had reached)."""

    __tablename__ = "volunteer_certificates"
    __table_args__ = (one_of("level", TrainingLevel),)

    certificate_id: uuid.UUID = Field(primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    level: TrainingLevel = enum_field(TrainingLevel, 20)
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = Field(default=None, max_length=40)
    superseded_by: uuid.UUID | None = None
    legacy: bool = False


class Transfer(RegistryModel, table=True):
    """A move of domicile village (the code is never edited in place)."""

    __tablename__ = "transfers"

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    from_village_code: str = Field(max_length=13)
    to_village_code: str = Field(max_length=13)
    region_dataset: str = Field(max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    actor: str = Field(max_length=200)
    transferred_at: datetime


class PendingTransfer(RegistryModel, table=True):
    """A transfer between regencies: opened by one end, decided by the other (each step's
    who and when kept); a confirmed one also has its `transfers` row."""

    __tablename__ = "pending_transfers"
    __table_args__ = (
        one_of("state", TransferState),
        one_of("opened_by_side", TransferSide),
        Index("ix_pending_transfers_from_regency", "from_regency_code", "state"),
        Index("ix_pending_transfers_to_regency", "to_regency_code", "state"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    from_village_code: str = Field(max_length=13)
    from_regency_code: str = Field(max_length=5)
    to_village_code: str = Field(max_length=13)
    to_regency_code: str = Field(max_length=5)
    state: TransferState = enum_field(TransferState, 20)
    opened_by_side: TransferSide = enum_field(TransferSide, 20)
    opened_by: str = Field(max_length=200)
    opened_at: datetime
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = None


class Operator(RegistryModel, table=True):
    """An operator account: a role and a region scope ('national', '32', '32.76')."""

    __tablename__ = "operators"
    __table_args__ = (one_of("role", OperatorRole),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    email: str = Field(max_length=200, unique=True)
    role: OperatorRole = enum_field(OperatorRole, 30)
    scope: str = Field(max_length=13, index=True)
    active: bool = True
    created_at: datetime
    #: Argon2id (PHC string); None for an account that has no password yet (cannot log in)
    password_hash: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    password_changed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


def _instant(*, nullable: bool = False, index: bool = False, **kw: Any) -> Any:
    """A timezone-aware timestamp column (revocation instants are compared with token issue
    times to the millisecond); `kw` go to `Field`."""
    return Field(sa_column=Column(DateTime(timezone=True), nullable=nullable, index=index), **kw)


class LoginSession(RegistryModel, table=True):
    """One login of an operator: its access tokens carry the id as `sid`; it lives until its
    absolute expiry, a logout, or a revocation of the operator."""

    __tablename__ = "login_sessions"
    __table_args__ = (one_of("end_reason", RevocationReason),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    operator_id: uuid.UUID = Field(index=True)
    started_at: datetime = _instant()
    expires_at: datetime = _instant()
    ended_at: datetime | None = _instant(nullable=True, default=None)
    end_reason: RevocationReason | None = enum_field(RevocationReason, 20, default=None)


class RefreshToken(RegistryModel, table=True):
    """A refresh token, by the SHA-256 of its value (the value itself is never stored): good
    once; presenting a spent one again ends its whole session (it was stolen)."""

    __tablename__ = "refresh_tokens"

    token_hash: str = Field(max_length=64, primary_key=True)
    session_id: uuid.UUID = Field(index=True)
    issued_at: datetime = _instant()
    spent_at: datetime | None = _instant(nullable=True, default=None)


class TokenRevocation(RegistryModel, table=True):
    """Tokens of `subject` issued at or before `at` are refused everywhere; with a
    `session`, only that login session's (GET /internal/revocations publishes them)."""

    __tablename__ = "token_revocations"
    __table_args__ = (one_of("reason", RevocationReason),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    subject: str = Field(max_length=100, index=True)
    session: str | None = Field(default=None, max_length=36)
    at: datetime = _instant(index=True)
    reason: RevocationReason = enum_field(RevocationReason, 20)


class AuditEntry(RegistryModel, table=True):
    """Who read or changed personal data, what, when and from where (UU 27/2022)."""

    __tablename__ = "audit_log"

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = Field(max_length=200, index=True)
    role: str = Field(max_length=30)
    action: AuditAction = enum_field(AuditAction, 50, index=True)
    volunteer_id: uuid.UUID | None = Field(default=None, index=True)
    detail: str | None = Field(default=None, max_length=500)
    client_address: str | None = Field(default=None, max_length=100)


class VolunteerImport(RegistryModel, table=True):
    """One bulk import: its status, counts and the per-row error report (CSV text, both
    languages: `service.import_report`).

    Written before the first row, its counts updated in each chunk's transaction, and
    `updated_at` with them (the heartbeat the start-up sweep judges a dead import by).
    """

    __tablename__ = "imports"
    __table_args__ = (one_of("status", ImportStatus),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    actor: str = Field(max_length=200)
    scope: str = Field(max_length=13)
    filename: str = Field(max_length=300)
    rows: int = 0
    imported: int = 0
    invalid: int = 0
    duplicates: int = 0
    #: of the duplicates, rows whose NIK was registered before the import (not twice in it)
    already_registered: int = 0
    errors_csv: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: ImportStatus = enum_field(ImportStatus, 20, default=ImportStatus.RUNNING)
    started_at: datetime
    updated_at: datetime | None = None
    finished_at: datetime | None = None


class VolunteerLink(RegistryModel, table=True):
    """A one-time link to a volunteer's own page, by the SHA-256 of its code (the code itself
    is never stored): good once, until `expires_at` (service.volunteer_links)."""

    __tablename__ = "volunteer_links"

    code_hash: str = Field(max_length=64, primary_key=True)
    volunteer_id: uuid.UUID = Field(index=True)
    #: the operator who had it sent (their token's subject)
    created_by: str = Field(max_length=200)
    created_at: datetime = _instant()
    expires_at: datetime = _instant()
    used_at: datetime | None = _instant(nullable=True, default=None)
