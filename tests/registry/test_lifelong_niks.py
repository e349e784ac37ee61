"""NIKs are lifelong: a prefix retired by a region split stays valid, the declared birth
date decides the century, the domicile is checked against the current dataset."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.registry.domain.errors import InvalidVolunteer
from services.registry.domain.nik import parse_nik
from services.registry.domain.region_history import (
    has_existed,
    province_splits,
    retired_codes,
)
from services.registry.domain.regions import region_exists
from shared.clock import FrozenClock
from tests.builders import make_nik, volunteer_payload
from tests.registry.helpers import NATIONAL, registry_http

TODAY = date(2026, 6, 1)

#: domain.md, "Identifiers and regions": every province split it names (new ← parent)
SPLITS_IN_DOMAIN_MD = {
    ("93", "91"),
    ("94", "91"),
    ("95", "91"),
    ("96", "92"),
    ("36", "32"),
    ("19", "16"),
    ("75", "71"),
    ("82", "81"),
    ("21", "14"),
    ("76", "73"),
    ("65", "64"),
}


def test_the_history_covers_every_province_split_of_the_domain_rules():
    recorded = {(s.province, s.parent) for s in province_splits()}
    assert recorded >= SPLITS_IN_DOMAIN_MD


def test_retired_codes_are_not_current_and_became_current_codes():
    for code, retired in retired_codes().items():
        assert not region_exists(code), code
        assert region_exists(retired.became), (code, retired.became)
        assert retired.ended <= TODAY.year


@pytest.mark.parametrize(
    ("old", "new"),
    [("91.01", "93.01"), ("92.01", "96.01"), ("92.71", "96.71"), ("64.73", "65.71")],
)
def test_the_papua_2022_and_kalimantan_utara_regency_moves_are_recorded(old, new):
    assert retired_codes()[old].became == new
    assert has_existed(old) and has_existed(new)


@pytest.mark.parametrize("region", ["910101", "920101", "910901", "647301", "731901"])
def test_a_nik_issued_before_a_region_split_keeps_its_old_prefix(region):
    facts = parse_nik(make_nik(region=region, serial=1), today=TODAY)
    assert facts.regency_code == f"{region[:2]}.{region[2:4]}"


def test_a_regency_code_that_never_existed_is_still_refused():
    with pytest.raises(InvalidVolunteer, match="kode kabupaten/kota NIK"):
        parse_nik(make_nik(region="919901", serial=1), today=TODAY)


def test_the_declared_birth_date_decides_the_century_of_the_nik_year():
    nik = make_nik(birth=date(1925, 5, 17), serial=1)  # "250517" could be 2025
    assert parse_nik(nik, today=TODAY).birth_date == date(2025, 5, 17)
    declared = parse_nik(nik, today=TODAY, birth_date=date(1925, 5, 17))
    assert declared.birth_date == date(1925, 5, 17)


def test_a_womans_nik_day_plus_40_agrees_with_the_declared_birth_date():
    nik = make_nik(birth=date(1925, 5, 17), female=True, serial=1)
    assert parse_nik(nik, today=TODAY, birth_date=date(1925, 5, 17)).sex == "P"


@pytest.mark.parametrize("declared", [date(1925, 5, 18), date(1925, 6, 17), date(1926, 5, 17)])
def test_a_declared_birth_date_disagreeing_with_the_nik_is_refused(declared):
    nik = make_nik(birth=date(1925, 5, 17), serial=1)
    with pytest.raises(InvalidVolunteer) as err:
        parse_nik(nik, today=TODAY, birth_date=declared)
    assert err.value.field == "birth_date"


def test_a_serial_of_0000_is_refused_naming_the_serial():
    with pytest.raises(InvalidVolunteer) as err:
        parse_nik("3276011705900000", today=TODAY)
    assert "nomor urut" in str(err.value) and "tanggal lahir" not in str(err.value)


def test_a_district_code_of_00_is_refused_naming_the_district():
    with pytest.raises(InvalidVolunteer, match="kode kecamatan"):
        parse_nik("3276001705900001", today=TODAY)


async def test_a_person_born_in_1925_with_an_old_papua_prefix_is_registered(database_url):
    clock = FrozenClock(datetime(2026, 6, 1, 3, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        body = volunteer_payload(
            nik=make_nik(region="910101", birth=date(1925, 5, 17), serial=7),
            birth_date="1925-05-17",
            village_code="93.01.01.1002",
        )
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["birth_date"] == "1925-05-17"
        assert r.json()["regency_code"] == "93.01"


async def test_the_domicile_is_checked_against_the_current_dataset(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload(
            nik=make_nik(region="910101", serial=8), village_code="91.01.01.1001"
        )
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["village_code"]


async def test_age_comes_from_the_declared_birth_date(database_url):
    clock = FrozenClock(datetime(2026, 6, 1, 3, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        born = date(2009, 6, 2)  # 16 on the day; the NIK alone says 2009 too
        body = volunteer_payload(nik=make_nik(birth=born, serial=9), birth_date=born.isoformat())
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["birth_date"]
