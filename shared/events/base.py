"""Base class of every shared event: frozen, tolerant of unknown fields, versioned by name."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """An integration event. Past tense, no personal data (no NIK, name or phone)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]
    key_field: ClassVar[str]

    def key(self) -> str:
        """The aggregate id: all events of one entity share a key, so they stay in order."""
        return str(getattr(self, self.key_field))
