"""Events published by registry on topic `registry.volunteers` (key: volunteer id)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from shared.events.base import Event

VOLUNTEERS_TOPIC = "registry.volunteers"


class VolunteerEvent(Event):
    """An event of one volunteer; keyed by the volunteer id, so a person's events stay in order."""

    topic: ClassVar[str] = VOLUNTEERS_TOPIC
    key_field: ClassVar[str] = "volunteer_id"

    volunteer_id: uuid.UUID


class VolunteerRegistered(VolunteerEvent):
    """A person was recorded as a PSM candidate. Region codes only; never NIK, name or phone."""

    event_type: ClassVar[str] = "volunteer-registered"

    village_code: str = Field(description="Kemendagri village code, e.g. 32.76.01.1001")
    district_code: str
    regency_code: str
    province_code: str
    region_dataset: str = Field(description="Version of the Kemendagri dataset of the codes")
    status: str = "candidate"
    registered_at: datetime
    birth_year: int | None = Field(default=None, description="Year only, for age statistics")
    sex: str | None = Field(default=None, description="'L' or 'P', for statistics")


class VolunteerStatusChanged(VolunteerEvent):
    """A volunteer moved in the status lifecycle (candidate, active, inactive, …)."""

    event_type: ClassVar[str] = "volunteer-status-changed"

    old_status: str
    new_status: str
    province_code: str
    regency_code: str
    reason_code: str | None = None
    changed_at: datetime


class VolunteerTransferred(VolunteerEvent):
    """A volunteer moved to another village (and so perhaps another region's scope)."""

    event_type: ClassVar[str] = "volunteer-transferred"

    from_village_code: str
    village_code: str
    district_code: str
    regency_code: str
    province_code: str
    region_dataset: str
    transferred_at: datetime


class VolunteerProfileUpdated(VolunteerEvent):
    """Fields changed, by name only: consumers that need the values ask registry's API."""

    event_type: ClassVar[str] = "volunteer-profile-updated"

    changed_fields: list[str]
    updated_at: datetime


class VolunteerErased(VolunteerEvent):
    """The person exercised the right to erasure: consumers must forget their copy."""

    event_type: ClassVar[str] = "volunteer-erased"

    erased_at: datetime
    effective_from: date | None = None
