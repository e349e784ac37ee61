"""Errors of registry's domain rules."""

from __future__ import annotations


class InvalidVolunteer(ValueError):
    """A registration broke a rule; `field` names the offending field (never its value)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
