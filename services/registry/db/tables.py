"""registry's own tables (its SQLModel metadata; migrations see nothing else)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel

from shared.db import new_registry
from shared.inbox import define_inbox
from shared.outbox import define_outbox


class RegistryModel(SQLModel, registry=new_registry()):
    """Base of registry's tables: its own metadata."""


metadata = RegistryModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


def _now() -> datetime:
    return datetime.now(UTC)


class Volunteer(RegistryModel, table=True):
    __tablename__ = "volunteers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    full_name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    village_code: str = Field(max_length=13, index=True)
    district_code: str = Field(max_length=8)
    regency_code: str = Field(max_length=5, index=True)
    province_code: str = Field(max_length=2, index=True)
    region_dataset: str = Field(max_length=40)
    status: str = Field(default="candidate", max_length=20, index=True)
    registered_at: datetime = Field(default_factory=_now)
