"""Whether a volunteer may enrol in a session, with every reason that applies (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from services.training.domain.enums import ReasonCode
from shared.regions import within


@dataclass(frozen=True)
class Reason:
    """One reason a volunteer may not enrol."""

    code: ReasonCode
    message: str


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
    quota_used: Mapping[str, int]


def check(candidate: Candidate, offer: Offer) -> list[Reason]:
    """Every reason the volunteer cannot enrol; empty means eligible."""
    if not candidate.known:
        return [Reason(ReasonCode.UNKNOWN_VOLUNTEER, "training has no record of this volunteer")]
    reasons: list[Reason] = []
    if candidate.already_enrolled:
        reasons.append(Reason(ReasonCode.ALREADY_ENROLLED, "already enrolled or waitlisted"))
    if candidate.status not in offer.allowed_statuses:
        allowed = ", ".join(sorted(offer.allowed_statuses))
        reasons.append(
            Reason(
                ReasonCode.STATUS_NOT_ALLOWED,
                f"status '{candidate.status}' is not one of: {allowed}",
            )
        )
    prereq = offer.prerequisite_level
    if prereq and prereq not in candidate.certified_levels:
        reasons.append(
            Reason(ReasonCode.PREREQUISITE_MISSING, f"requires a valid '{prereq}' certificate")
        )
    if offer.level in candidate.certified_levels:
        reasons.append(
            Reason(ReasonCode.ALREADY_CERTIFIED, f"already holds a '{offer.level}' certificate")
        )
    region = candidate.regency_code or ""
    if offer.eligible_regions and not any(within(region, r) for r in offer.eligible_regions):
        reasons.append(
            Reason(
                ReasonCode.OUTSIDE_ELIGIBLE_REGIONS,
                f"region {region} is not eligible for this session",
            )
        )
    quota_key = quota_of(region, offer.quotas)
    if quota_key and offer.quota_used.get(quota_key, 0) >= offer.quotas[quota_key]:
        reasons.append(
            Reason(
                ReasonCode.QUOTA_FULL, f"quota of {offer.quotas[quota_key]} for {quota_key} is full"
            )
        )
    return reasons


def quota_of(region: str, quotas: Mapping[str, int]) -> str | None:
    """The most specific quota key containing the region, if the session has quotas."""
    matches = [k for k in quotas if within(region, k)]
    return max(matches, key=len) if matches else None
