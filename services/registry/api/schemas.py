"""Response bodies of registry's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from services.registry.db.tables import Volunteer
from services.registry.domain.enums import Sex, TrainingLevel, VolunteerStatus
from services.registry.nik_vault import NikVault
from services.registry.service.drafts import Consents, Decree, Recommendation, Recommendations
from services.registry.service.volunteers import nik_of
from shared.events.vocabulary import StatusChangeReason

# A Kemendagri code at any level (32, 32.76, 32.76.01, 32.76.01.1006), as shared.regions reads it.
REGION_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$"
VILLAGE_PATTERN = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"


class VolunteerSummary(BaseModel):
    """A volunteer as a list shows them."""

    id: uuid.UUID
    full_name: str
    nik: str | None = Field(description="Masked: 3276********0001")
    village_code: str
    regency_code: str
    province_code: str
    status: VolunteerStatus
    training_level: TrainingLevel | None
    registered_at: datetime


class VolunteerPublic(VolunteerSummary):
    """One volunteer's record (the NIK masked unless revealed)."""

    nik: str | None = Field(description="Masked unless ?reveal_nik=true (audited)")
    birth_place: str | None
    birth_date: date | None
    sex: Sex | None
    address: str | None
    phone: str | None
    email: str | None
    education: str | None
    occupation: str | None
    ipsm_number: str | None
    district_code: str
    region_dataset: str
    recommendations: Recommendations
    decree: Decree | None
    consents: Consents
    dasar_passed_at: datetime | None
    verified_at: datetime | None
    updated_at: datetime


class NikSearch(BaseModel):
    """Find a person by NIK: in the body, never in a URL (URLs end up in logs)."""

    model_config = ConfigDict(extra="forbid")

    nik: str = Field(pattern=r"^\s*[0-9]{16}\s*$", description="The full 16-digit NIK")


class VolunteerPage(BaseModel):
    """One page of a volunteer list, and the total."""

    items: list[VolunteerSummary]
    total: int
    limit: int
    offset: int


class RegionCount(BaseModel):
    """How many volunteers live in one region."""

    code: str
    name: str | None
    count: int


def summary(v: Volunteer | Row[Any], vault: NikVault) -> VolunteerSummary:
    """The list view of a volunteer (a row of summary columns or an entity)."""
    return VolunteerSummary(
        id=v.id,
        full_name=v.full_name,
        nik=nik_of(v, vault, full=False),
        village_code=v.village_code,
        regency_code=v.regency_code,
        province_code=v.province_code,
        status=v.status,
        training_level=v.training_level,
        registered_at=v.registered_at,
    )


def public(v: Volunteer, vault: NikVault, *, full_nik: bool = False) -> VolunteerPublic:
    """The full view of a volunteer."""
    head = (
        Recommendation(name=v.village_head_recommender, date=v.village_head_recommended_on)
        if v.village_head_recommender and v.village_head_recommended_on
        else None
    )
    ipsm = (
        Recommendation(name=v.ipsm_recommender, date=v.ipsm_recommended_on)
        if v.ipsm_recommender and v.ipsm_recommended_on
        else None
    )
    decree = (
        Decree(number=v.decree_number, date=v.decree_date, issuer=v.decree_issuer)
        if v.decree_number and v.decree_date and v.decree_issuer
        else None
    )
    return VolunteerPublic(
        **summary(v, vault).model_dump(exclude={"nik"}),
        nik=nik_of(v, vault, full=full_nik),
        birth_place=v.birth_place,
        birth_date=v.birth_date,
        sex=v.sex,
        address=v.address,
        phone=v.phone,
        email=v.email,
        education=v.education,
        occupation=v.occupation,
        ipsm_number=v.ipsm_number,
        district_code=v.district_code,
        region_dataset=v.region_dataset,
        recommendations=Recommendations(village_head=head, ipsm=ipsm),
        decree=decree,
        consents=Consents(data_processing=v.consent_data_processing, contact=v.consent_contact),
        dasar_passed_at=v.dasar_passed_at,
        verified_at=v.verified_at,
        updated_at=v.updated_at,
    )


class StatusChangeRequest(BaseModel):
    """A lifecycle transition asked for by an operator."""

    status: VolunteerStatus = Field(examples=["inactive"])
    reason: str | None = Field(default=None, max_length=500, description="Kept in registry only")
    reason_code: StatusChangeReason | None = Field(
        default=None, description="Published in the event (a code; `reason` stays in registry)"
    )


class TransferRequest(BaseModel):
    """A move to another village."""

    village_code: str = Field(pattern=VILLAGE_PATTERN, examples=["32.76.02.1001"])
    reason: str | None = Field(default=None, max_length=500)


class HistoryEntry(BaseModel):
    """One status change."""

    old_status: VolunteerStatus | None
    new_status: VolunteerStatus
    reason: str | None
    actor: str
    changed_at: datetime
