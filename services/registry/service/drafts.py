"""The input of a registration (HTTP body, import row) and its validation into column values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from services.registry.db.tables import Volunteer
from services.registry.domain.enums import Sex, VolunteerStatus
from services.registry.domain.nik import NikFacts, check_consistency, parse_nik
from services.registry.domain.regions import DATASET_VERSION, village_exists
from services.registry.domain.volunteers import (
    check_age,
    clean_name,
    clean_text,
    domicile_of,
    name_key,
    normalise_phone,
)
from services.registry.nik_vault import NikVault
from shared.fields import SPACE, IsoDate, left_out

EMAIL_PATTERN = rf"^[^@{SPACE}]+@[^@{SPACE}]+\.[^@{SPACE}]+$"
# Names (people, places, issuers) and other typed text: NFC, stripped, no control or
# bidirectional characters, and names begin with a letter (domain/volunteers.py).
# A refusal is a 422 naming the field and the rule, never echoing the text.
FullName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(clean_name)
]
PlaceName = Annotated[str, StringConstraints(max_length=100), AfterValidator(clean_name)]
PersonName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(clean_name)
]

Address = Annotated[str, StringConstraints(max_length=500), AfterValidator(clean_text)]
ShortText = Annotated[str, StringConstraints(max_length=100), AfterValidator(clean_text)]
IpsmNumber = Annotated[str, StringConstraints(max_length=50), AfterValidator(clean_text)]
NikText = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class Recommendation(BaseModel):
    """Who recommended the candidate, and when."""

    name: PersonName = Field(description="Who recommended")
    date: IsoDate


class Recommendations(BaseModel):
    """The recommendations a candidate needs (village head and IPSM)."""

    village_head: Recommendation | None = Field(default=None, description="Lurah / kepala desa")
    ipsm: Recommendation | None = Field(default=None, description="IPSM of the village")


class Decree(BaseModel):
    """The SK (decree) appointing the PSM."""

    number: Annotated[str, StringConstraints(min_length=1), AfterValidator(clean_text)] = Field(
        max_length=100, description="SK number"
    )
    date: IsoDate
    issuer: PersonName = Field(examples=["Kepala Dinas Sosial Kota Depok"])


class Consents(BaseModel):
    """What the person agreed to (UU 27/2022)."""

    data_processing: bool = False
    contact: bool = False


class ProfileFields(BaseModel):
    """Fields a correction (PATCH) may change; all optional there."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName = Field(default_factory=left_out)
    birth_place: PlaceName | None = None
    address: Address | None = None
    phone: str | None = Field(default=None, max_length=30, examples=["0812-3456-7890"])
    email: str | None = Field(default=None, max_length=200, pattern=EMAIL_PATTERN)
    education: ShortText | None = None
    occupation: ShortText | None = None
    ipsm_number: IpsmNumber | None = None
    recommendations: Recommendations | None = None
    decree: Decree | None = None
    # Left out but not cleared (shared.fields.left_out): an explicit `null` is refused (422).
    consents: Consents = Field(default_factory=left_out)


class Correction(ProfileFields):
    """A data-subject correction (PATCH): profile fields and, together, the identity fields.

    The domicile is not here: a move is a transfer. `null` clears an optional field; the
    identity fields, the name and the consents may be left out but not cleared.
    """

    nik: NikText = Field(default_factory=left_out)
    birth_date: IsoDate = Field(default_factory=left_out)
    sex: Sex = Field(default_factory=left_out)


class VolunteerDraft(ProfileFields):
    """A registration: identity and domicile are required."""

    nik: str = Field(min_length=1, max_length=32, description="16 digits, as text")
    full_name: FullName
    birth_date: IsoDate
    sex: Sex = Field(description="L = laki-laki, P = perempuan")
    village_code: str = Field(examples=["32.76.01.1006"])


PLAIN_FIELDS = (
    "full_name",
    "birth_place",
    "address",
    "email",
    "education",
    "occupation",
    "ipsm_number",
)
PROFILE_FIELDS = frozenset(ProfileFields.model_fields)


def profile_values(fields: ProfileFields, *, only_set: bool, now: datetime) -> dict[str, Any]:
    """Column values of the profile fields (nested objects flattened)."""
    # Attribute access, not model_dump(): this runs once per row of a 100,000-row import.
    present = fields.model_fields_set if only_set else PROFILE_FIELDS
    values: dict[str, Any] = {k: getattr(fields, k) for k in PLAIN_FIELDS if k in present}
    if "full_name" in values:
        values["name_search"] = name_key(values["full_name"])
    if "phone" in present:
        values["phone"] = normalise_phone(fields.phone)
    values.update(_recommendation_values(fields.recommendations, "recommendations" in present))
    values.update(_decree_values(fields.decree, "decree" in present))
    if "consents" in present and fields.consents is not None:
        values["consent_data_processing"] = fields.consents.data_processing
        values["consent_contact"] = fields.consents.contact
        values["consented_at"] = now
    return values


def _recommendation_values(recs: Recommendations | None, present: bool) -> dict[str, Any]:
    if not present:
        return {}
    head = recs.village_head if recs else None
    ipsm = recs.ipsm if recs else None
    return {
        "village_head_recommender": head.name if head else None,
        "village_head_recommended_on": head.date if head else None,
        "ipsm_recommender": ipsm.name if ipsm else None,
        "ipsm_recommended_on": ipsm.date if ipsm else None,
    }


def _decree_values(decree: Decree | None, present: bool) -> dict[str, Any]:
    if not present:
        return {}
    return {
        "decree_number": decree.number if decree else None,
        "decree_date": decree.date if decree else None,
        "decree_issuer": decree.issuer if decree else None,
    }


def identity(
    nik: str, *, birth_date: date | None, sex: str | None, today: date, minimum_age: int
) -> NikFacts:
    """Validate a NIK, its consistency with birth date and sex, and the minimum age."""
    facts = parse_nik(nik, today=today, birth_date=birth_date)
    check_consistency(facts, birth_date=birth_date, sex=sex)
    check_age(facts.birth_date, today=today, minimum=minimum_age)
    return facts


def volunteer_values(
    draft: VolunteerDraft, *, vault: NikVault, now: datetime, today: date, minimum_age: int
) -> dict[str, Any]:
    """Validate a draft (raises InvalidVolunteer naming the field) into a volunteers row."""
    facts = identity(
        draft.nik, birth_date=draft.birth_date, sex=draft.sex, today=today, minimum_age=minimum_age
    )
    domicile = domicile_of(draft.village_code, exists=village_exists(draft.village_code))
    values = {
        "nik_hash": vault.hash(facts.nik),
        "nik_encrypted": vault.encrypt(facts.nik),
        "birth_date": facts.birth_date,
        "sex": facts.sex,
        "region_dataset": DATASET_VERSION,
        "status": VolunteerStatus.CANDIDATE,
        "registered_at": now,
        "updated_at": now,
        "consent_data_processing": False,
        "consent_contact": False,
        **domicile.__dict__,
        **profile_values(draft, only_set=False, now=now),
    }
    return values


VOLUNTEER_COLUMNS = frozenset(Volunteer.model_fields)
