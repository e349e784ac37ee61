"""training's own tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from shared.db import new_registry
from shared.inbox import define_inbox
from shared.outbox import define_outbox


class TrainingModel(SQLModel, registry=new_registry()):
    """Base of training's tables: its own metadata."""


metadata = TrainingModel.metadata
outbox = define_outbox(metadata)
inbox = define_inbox(metadata)


class KnownVolunteer(TrainingModel, table=True):
    """training's read model of volunteers, built only from registry's events."""

    __tablename__ = "known_volunteers"

    volunteer_id: uuid.UUID = Field(primary_key=True)
    village_code: str = Field(max_length=13)
    regency_code: str = Field(max_length=5, index=True)
    province_code: str = Field(max_length=2, index=True)
    status: str = Field(max_length=20)
    registered_at: datetime
    updated_at: datetime
