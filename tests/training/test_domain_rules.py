"""Pure rules of training: eligibility, evaluation, lifecycle, holidays, certificates."""

from __future__ import annotations

import secrets
from datetime import date

import pytest

from services.training.config import Settings
from services.training.domain import completion, eligibility, schedule
from services.training.domain.certificates import (
    CODE_ALPHABET,
    Signer,
    canonical_json,
    certificate_number,
    dev_private_key_b64,
    new_verification_code,
    normalise_code,
    number_prefix,
    verify_signature,
)

OFFER = eligibility.Offer(
    level="lanjutan",
    allowed_statuses=["active"],
    prerequisite_level="dasar",
    eligible_regions=["32.76"],
    quotas={"32.76": 2},
)


def codes(reasons):
    return [r.code for r in reasons]


def test_an_eligible_active_dasar_graduate_has_no_reasons():
    c = eligibility.Candidate(
        known=True, status="active", regency_code="32.76", certified_levels=frozenset({"dasar"})
    )
    assert eligibility.check(c, OFFER) == []


def test_unknown_volunteer_stops_the_check_at_once():
    assert codes(eligibility.check(eligibility.Candidate(known=False), OFFER)) == [
        "unknown_volunteer"
    ]


def test_every_failing_rule_is_reported():
    c = eligibility.Candidate(
        known=True,
        status="candidate",
        regency_code="32.75",
        certified_levels=frozenset({"lanjutan"}),
        already_enrolled=True,
    )
    assert codes(eligibility.check(c, OFFER)) == [
        "already_enrolled",
        "status_not_allowed",
        "prerequisite_missing",
        "already_certified",
        "outside_eligible_regions",
        "outside_quotas",
    ]


def test_the_most_specific_quota_applies():
    assert eligibility.quota_of("32.75", {"32": 10, "32.75": 2}) == "32.75"
    assert eligibility.quota_of("32.16", {"32": 10, "32.75": 2}) == "32"
    assert eligibility.quota_of("31.71", {"32": 10}) is None


@pytest.mark.parametrize(
    ("statuses", "post", "passed"),
    [
        (["present", "present"], 60, True),
        (["late", "left_early"], 100, True),
        (["present", "excused"], 100, False),
        (["present", "present"], 59.5, False),
        (["present", "present"], None, False),
    ],
)
def test_evaluation_needs_attendance_and_post_test(statuses, post, passed):
    verdict = completion.evaluate(
        statuses=statuses, days=2, post_score=post, min_attendance_pct=100, pass_mark=60
    )
    assert verdict.passed is passed
    assert verdict.reason


def test_mean_improvement_uses_participants_with_both_scores():
    assert completion.mean_scores([(40, 80), (60, 90), (None, 100)]) == (50.0, 85.0, 35.0)
    assert completion.mean_scores([(None, 100)]) == (None, None, None)


def test_lifecycle_moves():
    assert schedule.can_move("draft", "open")
    assert schedule.can_move("open", "in_progress")
    assert schedule.can_move("in_progress", "completed")
    assert not schedule.can_move("draft", "completed")
    assert not schedule.can_move("completed", "cancelled")
    assert not schedule.can_move("cancelled", "open")


def test_holidays_warn_and_missing_calendars_are_said_out_loud():
    assert schedule.holiday_warnings(date(2026, 8, 17), date(2026, 8, 17))[0].en.startswith(
        "2026-08-17 is a public holiday"
    )
    assert schedule.holiday_warnings(date(2026, 8, 18), date(2026, 8, 19)) == []
    # a year no calendar covers (before the open calendar's first year) warns, never refuses
    assert [str(w) for w in schedule.holiday_warnings(date(1900, 12, 1), date(1900, 12, 1))] == [
        "kalender hari libur 1900 belum tersedia; tanggal tidak diperiksa"
    ]


def test_years_lokal_does_not_cover_are_checked_against_the_open_holiday_calendar():
    # seed 001's batches were held in 2022: Idul Fitri and its cuti bersama are known
    warnings = [str(w) for w in schedule.holiday_warnings(date(2022, 5, 2), date(2022, 5, 4))]
    assert warnings[0] == "2022-05-02 adalah hari libur nasional: Hari Raya Idul Fitri"
    assert len(warnings) == 3  # the second day of Idul Fitri and a cuti bersama follow
    assert schedule.holiday_warnings(date(2022, 11, 30), date(2022, 12, 1)) == []


def test_verification_codes_use_an_unambiguous_alphabet():
    for _ in range(50):
        code = new_verification_code()
        assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert normalise_code("abcde-fghjk") == "ABCDEFGHJK"


def test_certificate_numbers_are_human_friendly():
    prefix = number_prefix("dasar", "32.76", 2022)
    assert certificate_number(prefix, 123) == "BIMTEK-DASAR/32.76/2022/000123"
    assert number_prefix("dasar", "national", 2020) == "BIMTEK-DASAR/NASIONAL/2020"


def test_signature_covers_the_canonical_content():
    signer = Signer.from_b64(dev_private_key_b64())
    text = canonical_json({"b": 1, "a": "Dinas Sosial Kota Depok"})
    assert text == '{"a":"Dinas Sosial Kota Depok","b":1}'
    sig = signer.sign(text)
    assert verify_signature(signer.public_key_b64, text, sig)
    assert not verify_signature(signer.public_key_b64, text.replace("1", "2"), sig)


def test_production_refuses_the_development_signing_key():
    safe = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://db/training",
        "jwks_url": "https://registry.psm.example.id/.well-known/jwks.json",
        "revocations_url": "https://registry.psm.example.id/internal/revocations",
        "service_client_secret": secrets.token_urlsafe(32),
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_username": "svc",
        "kafka_sasl_password": secrets.token_urlsafe(32),
    }
    with pytest.raises(ValueError, match="certificate_signing_key"):
        Settings(**safe)
    with pytest.raises(ValueError, match="certificate_signing_key"):
        Settings(**safe, certificate_signing_key=dev_private_key_b64())
    import base64
    import os

    real = base64.b64encode(os.urandom(32)).decode()
    assert Settings(**safe, certificate_signing_key=real).signer().public_key_b64
