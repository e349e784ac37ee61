"""The PSM lifecycle (Permensos 10/2019): which status changes are legal, and when."""

from __future__ import annotations

from dataclasses import dataclass

CANDIDATE, ACTIVE, INACTIVE = "candidate", "active", "inactive"
RESIGNED, REVOKED, DECEASED = "resigned", "revoked", "deceased"
STATUSES = (CANDIDATE, ACTIVE, INACTIVE, RESIGNED, REVOKED, DECEASED)
FINAL = frozenset({RESIGNED, REVOKED, DECEASED})

TRANSITIONS: dict[str, frozenset[str]] = {
    CANDIDATE: frozenset({ACTIVE, RESIGNED, REVOKED, DECEASED}),
    ACTIVE: frozenset({INACTIVE, RESIGNED, REVOKED, DECEASED}),
    INACTIVE: frozenset({ACTIVE, RESIGNED, REVOKED, DECEASED}),
    RESIGNED: frozenset(),
    REVOKED: frozenset(),
    DECEASED: frozenset(),
}

LEVELS = ("dasar", "lanjutan", "khusus")


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""


@dataclass(frozen=True)
class Readiness:
    """What a candidate has done towards activation."""

    dasar_passed: bool
    verification_required: bool
    verified: bool

    def blockers(self) -> list[str]:
        missing = []
        if not self.dasar_passed:
            missing.append("has not passed Bimtek dasar")
        if self.verification_required and not self.verified:
            missing.append("recommendations and SK are not yet verified by an operator")
        return missing


def check_transition(old: str, new: str, *, readiness: Readiness | None = None) -> None:
    """Raise IllegalTransition unless `old → new` is allowed now."""
    if new not in STATUSES:
        raise IllegalTransition(f"unknown status {new!r}; one of {', '.join(STATUSES)}")
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(f"a volunteer cannot go from {old} to {new}")
    if old == CANDIDATE and new == ACTIVE and readiness is not None and readiness.blockers():
        raise IllegalTransition("the candidate " + " and ".join(readiness.blockers()))


def becomes_active(readiness: Readiness) -> bool:
    """True when a candidate meets every activation condition."""
    return not readiness.blockers()


def highest_level(current: str | None, new: str) -> str:
    """The highest Bimtek level reached (dasar < lanjutan < khusus)."""
    if current is None or current not in LEVELS:
        return new
    return max(current, new, key=LEVELS.index)


def levels_at_least(level: str) -> tuple[str, ...]:
    """Levels that count as having reached `level` (for the training-level filter)."""
    return LEVELS[LEVELS.index(level) :]
