"""Rules about volunteers that need no database or broker."""

from __future__ import annotations

from dataclasses import dataclass

from shared.regions import is_region_code, parents


class InvalidVolunteer(ValueError):
    """A registration broke a rule; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Domicile:
    village_code: str
    district_code: str
    regency_code: str
    province_code: str


def domicile_of(village_code: str, *, exists: bool) -> Domicile:
    """The domicile of a village code, refusing codes that are malformed or unknown."""
    if not is_region_code(village_code) or village_code.count(".") != 3:
        raise InvalidVolunteer("village_code", "must be a village code like 32.76.01.1001")
    if not exists:
        raise InvalidVolunteer("village_code", "is not a village in the current Kemendagri dataset")
    return Domicile(village_code=village_code, **parents(village_code))
