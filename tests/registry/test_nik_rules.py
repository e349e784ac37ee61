"""NIK validation: format, region prefix, birth date and sex (day + 40 for women)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.nik import check_consistency, looks_rounded, parse_nik
from tests.builders import make_nik

TODAY = date(2026, 6, 1)
births = st.dates(min_value=date(1940, 1, 1), max_value=date(2007, 12, 31))
serials = st.integers(min_value=1, max_value=9999)


@given(birth=births, female=st.booleans(), serial=serials)
def test_a_consistent_nik_yields_its_birth_date_and_sex(birth, female, serial):
    facts = parse_nik(make_nik(birth=birth, female=female, serial=serial), today=TODAY)
    assert facts.birth_date == birth
    assert facts.sex == ("P" if female else "L")
    assert facts.regency_code == "32.76"


@given(birth=births, serial=serials)
def test_a_womans_nik_does_not_match_a_declared_man(birth, serial):
    facts = parse_nik(make_nik(birth=birth, female=True, serial=serial), today=TODAY)
    with pytest.raises(InvalidVolunteer) as err:
        check_consistency(facts, birth_date=birth, sex="L")
    assert err.value.field == "sex"


@given(birth=births, serial=serials, shift=st.integers(min_value=1, max_value=3000))
def test_a_different_declared_birth_date_is_refused(birth, serial, shift):
    facts = parse_nik(make_nik(birth=birth, serial=serial), today=TODAY)
    with pytest.raises(InvalidVolunteer) as err:
        check_consistency(facts, birth_date=birth + timedelta(days=shift), sex="L")
    assert err.value.field == "birth_date"


@given(st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 16))
def test_anything_but_16_digits_is_refused_naming_the_nik(text):
    with pytest.raises(InvalidVolunteer) as err:
        parse_nik(text, today=TODAY)
    assert err.value.field == "nik"


@given(day=st.integers(min_value=32, max_value=40) | st.integers(min_value=72, max_value=99))
def test_an_impossible_birth_day_is_refused(day):
    with pytest.raises(InvalidVolunteer, match="tanggal lahir"):
        parse_nik(f"327601{day:02d}05900001", today=TODAY)


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("9976011705900001", "kode provinsi NIK"),
        ("3299011705900001", "kode kabupaten/kota NIK"),
        ("32760117a5900001", "NIK harus 16 angka"),
    ],
)
def test_unknown_regions_and_letters_are_refused(nik, message):
    with pytest.raises(InvalidVolunteer, match=message):
        parse_nik(nik, today=TODAY)


@pytest.mark.parametrize("text", ["3.27601E+15", "3.276011705900E+15", "3276011705900000.0"])
def test_a_nik_rounded_by_a_spreadsheet_is_recognised(text):
    assert looks_rounded(text)
    with pytest.raises(InvalidVolunteer, match="dibulatkan oleh aplikasi lembar kerja"):
        parse_nik(text, today=TODAY)


def test_a_real_nik_is_not_taken_for_a_rounded_one():
    assert not looks_rounded("3276011705900001")


_PROVINCE_CODES = ["11", "32", "35", "52", "94", "96", "00", "19", "99"]
_NIKS = st.builds(
    lambda pp, kk, cc, dd, mm, yy, serial: f"{pp}{kk}{cc}{dd:02d}{mm:02d}{yy:02d}{serial}",
    st.sampled_from(_PROVINCE_CODES),
    st.sampled_from(["00", "01", "07", "71", "76", "99"]),
    st.sampled_from(["00", "01", "05", "31"]),
    st.integers(0, 99),
    st.integers(0, 19),
    st.integers(0, 99),
    st.sampled_from(["0000", "0001", "9999"]),
)


@settings(max_examples=3000, deadline=None)
@given(nik=st.one_of(_NIKS, st.text(alphabet="0123456789", min_size=16, max_size=16)))
def test_the_nik_fast_path_answers_exactly_what_lokal_answers(nik):
    """For any 16 digits, the direct computation gives lokal's facts or steps aside, and it
    steps aside only where lokal finds the NIK wrong (so the common case stays fast)."""
    from services.registry.domain.nik import _plain, _with_lokal

    try:
        expected = _with_lokal(nik)
    except InvalidVolunteer:
        expected = None
    # lokal decides the century of a birth year on the system date, so the fast path must too.
    assert _plain(nik, today=date.today()) == expected


def test_the_century_of_a_two_digit_birth_year_follows_the_given_day():
    nik = make_nik(birth=date(1930, 5, 17), serial=1)
    assert parse_nik(nik, today=date(2026, 6, 1)).birth_date == date(1930, 5, 17)
    assert parse_nik(nik, today=date(2031, 6, 1)).birth_date == date(2030, 5, 17)
