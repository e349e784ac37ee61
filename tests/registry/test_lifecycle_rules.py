"""Permensos 10/2019 lifecycle and eligibility rules (pure functions)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.lifecycle import (
    IllegalTransition,
    Readiness,
    check_transition,
    highest_level,
    levels_at_least,
)
from services.registry.domain.volunteers import check_age, normalise_phone

READY = Readiness(dasar_passed=True, verification_required=False, verified=False)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("candidate", "active"),
        ("candidate", "resigned"),
        ("active", "inactive"),
        ("inactive", "active"),
        ("active", "revoked"),
        ("active", "deceased"),
    ],
)
def test_legal_transitions_are_accepted(old, new):
    check_transition(old, new, readiness=READY)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("resigned", "active"),
        ("revoked", "candidate"),
        ("deceased", "active"),
        ("active", "candidate"),
        ("candidate", "inactive"),
        ("active", "dormant"),
    ],
)
def test_illegal_transitions_are_refused(old, new):
    with pytest.raises(IllegalTransition):
        check_transition(old, new, readiness=READY)


def test_a_candidate_without_bimtek_dasar_cannot_be_activated():
    not_trained = Readiness(dasar_passed=False, verification_required=False, verified=False)
    with pytest.raises(IllegalTransition, match="Bimtek dasar"):
        check_transition("candidate", "active", readiness=not_trained)


def test_where_the_regency_requires_it_activation_waits_for_verification():
    unverified = Readiness(dasar_passed=True, verification_required=True, verified=False)
    with pytest.raises(IllegalTransition, match="belum diverifikasi"):
        check_transition("candidate", "active", readiness=unverified)
    verified = Readiness(dasar_passed=True, verification_required=True, verified=True)
    check_transition("candidate", "active", readiness=verified)


def test_volunteers_must_be_eighteen_on_the_day_of_registration():
    check_age(date(2000, 3, 1), today=date(2018, 3, 1))
    with pytest.raises(InvalidVolunteer) as err:
        check_age(date(2000, 3, 2), today=date(2018, 3, 1))
    assert err.value.field == "birth_date"


def test_the_highest_training_level_is_kept():
    assert highest_level(None, "dasar") == "dasar"
    assert highest_level("lanjutan", "dasar") == "lanjutan"
    assert levels_at_least("lanjutan") == ("lanjutan", "khusus")


@pytest.mark.parametrize("raw", ["081234567890", "+62 812-3456-7890", "6281234567890"])
def test_phones_are_normalised_to_e164(raw):
    assert normalise_phone(raw) == "+6281234567890"


def test_a_non_indonesian_phone_is_refused_naming_the_field():
    with pytest.raises(InvalidVolunteer) as err:
        normalise_phone("12345")
    assert err.value.field == "phone"


def _lokal_e164(raw: str) -> str | None:
    import lokal

    info = lokal.parse_phone(raw.strip())
    return str(info.e164) if info.valid and info.e164 else None


_PHONE_PIECES = st.lists(
    st.sampled_from(["0", "62", "+62", "8", "12", "1234", "5678", "90", "000", " ", "-", "+"]),
    min_size=1,
    max_size=8,
).map("".join)


@settings(max_examples=3000, deadline=None)
@given(raw=st.one_of(_PHONE_PIECES, st.text(alphabet="0123456789+- ", max_size=20)))
def test_phone_fast_path_answers_exactly_what_lokal_answers(raw):
    """The bulk-import fast path for plainly written mobile numbers agrees with lokal, for
    valid and invalid numbers alike."""
    expected = _lokal_e164(raw)
    try:
        got = normalise_phone(raw)
    except InvalidVolunteer:
        got = None
    if not raw.strip():
        assert got is None
    else:
        assert got == expected
