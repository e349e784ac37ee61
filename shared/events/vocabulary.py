"""The closed lists the events speak in, shared by every service that reads or writes them.

Registry owns the volunteer lifecycle and publishes its statuses; training publishes the
Bimtek level of a session or certificate; the consumers keep the same values in their read
models. One definition, so a value added here is added everywhere at once.
"""

from __future__ import annotations

import enum


class VolunteerStatus(enum.StrEnum):
    """Where a PSM stands in the lifecycle of Permensos 10/2019."""

    CANDIDATE = "candidate"
    ACTIVE = "active"
    INACTIVE = "inactive"
    RESIGNED = "resigned"
    REVOKED = "revoked"
    DECEASED = "deceased"


class TrainingLevel(enum.StrEnum):
    """A Bimtek level, lowest first (the order is the ranking)."""

    DASAR = "dasar"
    LANJUTAN = "lanjutan"
    KHUSUS = "khusus"
