"""Whether a volunteer may enrol in a session, with every reason that applies (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from services.training.domain.enums import OrganiserLevel, ReasonCode
from services.training.domain.policy import organiser_level
from shared.i18n import Text, t
from shared.regions import within


@dataclass(frozen=True)
class Reason:
    """One reason a volunteer may not enrol."""

    code: ReasonCode
    message: Text


@dataclass(frozen=True)
class Candidate:
    """What training knows about the volunteer at enrolment time."""

    known: bool
    status: str | None = None
    regency_code: str | None = None
    certified_levels: frozenset[str] = frozenset()
    already_enrolled: bool = False


@dataclass(frozen=True)
class Offer:
    """The session's rules, taken from the session and its course."""

    level: str
    allowed_statuses: Collection[str]
    prerequisite_level: str | None
    eligible_regions: Collection[str]
    quotas: Mapping[str, int]
    #: the organisation quota the organiser nominated the volunteer for, if any
    nominated: str | None = None


#: what an unknown volunteer and one outside the operator's reach are both told
UNKNOWN = Reason(
    ReasonCode.UNKNOWN_VOLUNTEER,
    t("relawan tidak ditemukan dalam jangkauan Anda", "no such volunteer within your reach"),
)


def check(candidate: Candidate, offer: Offer) -> list[Reason]:
    """Every reason the volunteer cannot enrol; empty means eligible."""
    if not candidate.known:
        return [UNKNOWN]
    reasons: list[Reason] = []
    if candidate.already_enrolled:
        reasons.append(
            Reason(
                ReasonCode.ALREADY_ENROLLED,
                t("sudah terdaftar atau masuk daftar tunggu", "already enrolled or waitlisted"),
            )
        )
    if candidate.status not in offer.allowed_statuses:
        allowed = ", ".join(sorted(offer.allowed_statuses))
        reasons.append(
            Reason(
                ReasonCode.STATUS_NOT_ALLOWED,
                t(
                    "status '{status}' bukan salah satu dari: {allowed}",
                    "status '{status}' is not one of: {allowed}",
                    status=candidate.status,
                    allowed=allowed,
                ),
            )
        )
    prereq = offer.prerequisite_level
    if prereq and prereq not in candidate.certified_levels:
        reasons.append(
            Reason(
                ReasonCode.PREREQUISITE_MISSING,
                t(
                    "memerlukan sertifikat '{level}' yang masih berlaku",
                    "requires a valid '{level}' certificate",
                    level=prereq,
                ),
            )
        )
    if offer.level in candidate.certified_levels:
        reasons.append(
            Reason(
                ReasonCode.ALREADY_CERTIFIED,
                t(
                    "sudah memiliki sertifikat '{level}'",
                    "already holds a '{level}' certificate",
                    level=offer.level,
                ),
            )
        )
    region = candidate.regency_code or ""
    if offer.eligible_regions and not any(within(region, r) for r in offer.eligible_regions):
        reasons.append(
            Reason(
                ReasonCode.OUTSIDE_ELIGIBLE_REGIONS,
                t(
                    "wilayah {region} tidak termasuk wilayah sasaran sesi ini",
                    "region {region} is not eligible for this session",
                    region=region,
                ),
            )
        )
    if offer.quotas and quota_of(region, offer.quotas, offer.nominated) is None:
        reasons.append(
            Reason(
                ReasonCode.OUTSIDE_QUOTAS,
                t(
                    "tidak ada kuota sesi ini untuk wilayah {region} dan tidak ada kuota sisa",
                    "no quota of this session covers region {region} and it has no remainder",
                    region=region,
                ),
            )
        )
    return reasons


#: the keys of the remainder quota: whoever no region or organisation key covers
REMAINDER_KEYS = ("national", "remainder")
#: an organisation that is not a region (e.g. `org:ipsm-pusat`); places are nominated to it
ORG_PREFIX = "org:"
#: the shape of every quota key: a region code, a remainder key, or an organisation key
QUOTA_KEY_PATTERN = (
    r"^(\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?|national|remainder|org:[a-z0-9]+(-[a-z0-9]+)*)$"
)


def is_org_key(key: str) -> bool:
    """Whether a quota key names an organisation (not a region)."""
    return key.startswith(ORG_PREFIX)


def is_region_key(key: str) -> bool:
    """Whether a quota key is a region code (not the remainder, not an organisation)."""
    return key not in REMAINDER_KEYS and not is_org_key(key)


def quota_of(region: str, quotas: Mapping[str, int], nominated: str | None = None) -> str | None:
    """The quota a place counts against, or None when no key covers it (or none exist).

    An organisation quota the organiser nominated the volunteer for wins; otherwise the
    most specific *region* key containing the volunteer's region (a regency before its
    province); otherwise the remainder key (`national` or `remainder`), which so covers only
    whoever no other key covers.
    """
    if nominated is not None and nominated in quotas:
        return nominated
    regions = [k for k in quotas if is_region_key(k) and within(region, k)]
    if regions:
        return max(regions, key=lambda k: k.count("."))
    return next((k for k in REMAINDER_KEYS if k in quotas), None)


def quota_has_room(key: str | None, quotas: Mapping[str, int], used: Mapping[str, int]) -> bool:
    """Whether a confirmed seat of that quota is free (always, without a quota)."""
    return key is None or used.get(key, 0) < quotas.get(key, 0)


def quota_keys_problem(quotas: Mapping[str, int]) -> Text | None:
    """What is wrong with a session's quota keys, if anything (one remainder at most)."""
    if sum(1 for k in REMAINDER_KEYS if k in quotas) > 1:
        return t(
            "paling banyak satu kunci kuota sisa ('national' atau 'remainder')",
            "at most one remainder key ('national' or 'remainder')",
        )
    return None


def within_reach(
    *,
    operator_sees: bool,
    organiser_region_code: str,
    eligible_regions: Collection[str],
    regency_code: str,
) -> bool:
    """Whether an operator may enrol a volunteer: one they may see (their scope), or one the
    eligible regions of a province or national batch explicitly admit (its organiser
    decides). A regency batch's eligible regions narrow, never widen, the operator's reach."""
    if operator_sees:
        return True
    if organiser_level(organiser_region_code) == OrganiserLevel.REGENCY:
        return False
    return any(within(regency_code, r) for r in eligible_regions)
