"""The PSM lifecycle (Permensos 10/2019): which status changes are legal, and when."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.domain.enums import TrainingLevel, VolunteerStatus
from services.registry.domain.errors import IllegalTransition
from shared.i18n import Text, t

CANDIDATE, ACTIVE, INACTIVE = (
    VolunteerStatus.CANDIDATE,
    VolunteerStatus.ACTIVE,
    VolunteerStatus.INACTIVE,
)
RESIGNED, REVOKED, DECEASED = (
    VolunteerStatus.RESIGNED,
    VolunteerStatus.REVOKED,
    VolunteerStatus.DECEASED,
)
STATUSES = tuple(VolunteerStatus)
FINAL = frozenset({RESIGNED, REVOKED, DECEASED})

TRANSITIONS: dict[VolunteerStatus, frozenset[VolunteerStatus]] = {
    CANDIDATE: frozenset({ACTIVE, RESIGNED, REVOKED, DECEASED}),
    ACTIVE: frozenset({INACTIVE, RESIGNED, REVOKED, DECEASED}),
    INACTIVE: frozenset({ACTIVE, RESIGNED, REVOKED, DECEASED}),
    RESIGNED: frozenset(),
    REVOKED: frozenset(),
    DECEASED: frozenset(),
}

LEVELS = tuple(TrainingLevel)

__all__ = [
    "IllegalTransition",
    "Readiness",
    "after_revocation",
    "becomes_active",
    "check_transition",
    "highest_level",
    "levels_at_least",
]


@dataclass(frozen=True)
class Readiness:
    """What a candidate has done towards activation."""

    dasar_passed: bool
    verification_required: bool
    verified: bool

    def blockers(self) -> list[Text]:
        """What still keeps the candidate from becoming active (empty: nothing)."""
        missing = []
        if not self.dasar_passed:
            missing.append(t("belum lulus Bimtek dasar", "has not passed Bimtek dasar"))
        if self.verification_required and not self.verified:
            missing.append(
                t(
                    "rekomendasi dan SK-nya belum diverifikasi operator",
                    "recommendations and SK are not yet verified by an operator",
                )
            )
        return missing


def check_transition(old: str, new: str, *, readiness: Readiness | None = None) -> None:
    """Raise IllegalTransition unless `old → new` is allowed now."""
    if new not in STATUSES:
        raise IllegalTransition(
            t(
                "status tidak dikenal; pilih salah satu dari {statuses}",
                "unknown status; one of {statuses}",
                statuses=", ".join(STATUSES),
            )
        )
    if new not in TRANSITIONS[VolunteerStatus(old)]:
        raise IllegalTransition(
            t(
                "status relawan tidak dapat berubah dari {old} ke {new}",
                "a volunteer cannot go from {old} to {new}",
                old=old,
                new=new,
            )
        )
    if old == CANDIDATE and new == ACTIVE and readiness is not None and readiness.blockers():
        blockers = readiness.blockers()
        raise IllegalTransition(
            Text(
                "calon relawan " + " dan ".join(b.id for b in blockers),
                "the candidate " + " and ".join(b.en for b in blockers),
            )
        )


def becomes_active(readiness: Readiness) -> bool:
    """True when a candidate meets every activation condition."""
    return not readiness.blockers()


def highest_level(current: str | None, new: str) -> TrainingLevel:
    """The highest Bimtek level reached (dasar < lanjutan < khusus)."""
    if current is None or current not in LEVELS:
        return TrainingLevel(new)
    return max(TrainingLevel(current), TrainingLevel(new), key=LEVELS.index)


def levels_at_least(level: str) -> tuple[TrainingLevel, ...]:
    """Levels that count as having reached `level` (for the training-level filter)."""
    return LEVELS[LEVELS.index(TrainingLevel(level)) :]


def after_revocation(
    status: VolunteerStatus, valid_levels: set[TrainingLevel]
) -> tuple[VolunteerStatus, TrainingLevel | None]:
    """Status and level once a certificate was revoked, from the levels still certified.

    The level is the highest level still certified, and none without a valid `dasar`
    (lanjutan and khusus build on it). An active or inactive PSM without a valid `dasar`
    goes back to candidate (activation needs it); other statuses are kept (a final status
    stays final).
    """
    if TrainingLevel.DASAR not in valid_levels:
        return (CANDIDATE if status in (ACTIVE, INACTIVE) else status), None
    return status, max(valid_levels, key=LEVELS.index)
