"""Quotas (issue 13, item 1): the most specific region wins, the remainder covers only the
rest, organisations hold quotas named at enrolment, and over-quota places wait for a seat of
their own quota."""

from __future__ import annotations

from services.training.domain import eligibility
from tests.training.helpers import (
    add_volunteers,
    enrol_all,
    open_session,
    session_body,
    training_app,
)

KOTA_BEKASI = "32.75.01.1001"
KAB_BEKASI = "32.16.01.2001"
JAKARTA = "31.71.01.1001"
SEED_004 = {"32.75": 250, "32.16": 225, "org:ipsm-pusat": 25}


def national_batch(**overrides):
    return {
        "organiser_region_code": "national",
        "organiser_agency": "Kementerian Sosial",
        "venue_name": "Kemensos Jakarta",
        "venue_village_code": "31.71.01.1001",
        **overrides,
    }


def test_the_most_specific_region_key_wins_and_national_covers_only_the_rest():
    quotas = {"32": 10, "32.75": 2, "32.16": 2, "national": 1}
    assert eligibility.quota_of("32.75", quotas) == "32.75"
    assert eligibility.quota_of("32.16", quotas) == "32.16"
    assert eligibility.quota_of("32.76", quotas) == "32"
    assert eligibility.quota_of("31.71", quotas) == "national"
    assert eligibility.quota_of("31.71", {"32.75": 2, "remainder": 5}) == "remainder"


def test_an_organisation_quota_applies_only_when_nominated():
    assert eligibility.quota_of("31.71", SEED_004, "org:ipsm-pusat") == "org:ipsm-pusat"
    assert eligibility.quota_of("32.75", SEED_004, "org:ipsm-pusat") == "org:ipsm-pusat"
    assert eligibility.quota_of("32.75", SEED_004) == "32.75"
    assert eligibility.quota_of("31.71", SEED_004) is None


def test_nobody_covered_by_no_key_and_no_remainder_is_outside_quotas():
    offer = eligibility.Offer(
        level="dasar",
        allowed_statuses=["candidate"],
        prerequisite_level=None,
        eligible_regions=[],
        quotas=SEED_004,
    )
    jakarta = eligibility.Candidate(known=True, status="candidate", regency_code="31.71")
    assert [r.code for r in eligibility.check(jakarta, offer)] == ["outside_quotas"]
    nominated = eligibility.Offer(**{**offer.__dict__, "nominated": "org:ipsm-pusat"})
    assert eligibility.check(jakarta, nominated) == []


async def test_regional_quotas_with_a_national_remainder_give_out_every_quota(database_url):
    async with training_app(database_url) as t:
        kota = await add_volunteers(t, 2, village=KOTA_BEKASI)
        kab = await add_volunteers(t, 2, village=KAB_BEKASI)
        depok = await add_volunteers(t, 2)
        s = await open_session(
            t, **national_batch(capacity=10, quotas={"32.75": 2, "32.16": 2, "national": 1})
        )
        outcomes = await enrol_all(t, s["id"], [*kota, *kab, *depok])
        assert [(o["outcome"], o["quota"]) for o in outcomes] == [
            ("confirmed", "32.75"),
            ("confirmed", "32.75"),
            ("confirmed", "32.16"),
            ("confirmed", "32.16"),
            ("confirmed", "national"),
            ("waitlisted", "national"),
        ]


async def test_seed_004_ministry_batch_with_regional_and_organisation_quotas(database_url):
    async with training_app(database_url) as t:
        kota = await add_volunteers(t, 251, village=KOTA_BEKASI)
        kab = await add_volunteers(t, 225, village=KAB_BEKASI)
        ipsm = await add_volunteers(t, 26, village=JAKARTA)
        s = await open_session(t, **national_batch(capacity=500, quotas=SEED_004))
        regional = await enrol_all(t, s["id"], [*kota, *kab])
        assert sum(o["outcome"] == "confirmed" for o in regional) == 475
        assert (regional[250]["outcome"], regional[250]["quota"]) == ("waitlisted", "32.75")
        r = await t.post(
            f"/sessions/{s['id']}/enrolments/bulk",
            {"volunteer_ids": ipsm, "quota": "org:ipsm-pusat"},
        )
        assert r.status_code == 200, r.text
        nominated = r.json()
        assert [o["outcome"] for o in nominated] == ["confirmed"] * 25 + ["waitlisted"]
        assert {o["quota"] for o in nominated} == {"org:ipsm-pusat"}
        assert (nominated[25]["position"], regional[250]["position"]) == (1, 1)
        listed = (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        assert sum(e["status"] == "confirmed" for e in listed) == 500
        # without the nomination, a Jakarta volunteer has no quota in this batch
        [other] = await add_volunteers(t, 1, village=JAKARTA)
        [o] = await enrol_all(t, s["id"], [other])
        assert [r["code"] for r in o["reasons"]] == ["outside_quotas"]


async def test_over_quota_waits_for_that_quota_and_is_promoted_when_its_seat_frees(database_url):
    async with training_app(database_url) as t:
        kota = await add_volunteers(t, 2, village=KOTA_BEKASI)
        kab = await add_volunteers(t, 2, village=KAB_BEKASI)
        s = await open_session(t, **national_batch(capacity=3, quotas={"32.75": 1, "32.16": 1}))
        k1, k2, b1, b2 = await enrol_all(t, s["id"], [kota[0], kota[1], kab[0], kab[1]])
        assert [o["outcome"] for o in (k1, k2, b1, b2)] == [
            "confirmed",
            "waitlisted",
            "confirmed",
            "waitlisted",
        ]
        assert (k2["position"], b2["position"]) == (1, 1)  # each first in its own queue
        # a seat of 32.16 frees: it goes to 32.16's queue, not to Kota Bekasi ahead of it
        r = await t.post(f"/enrolments/{b1['enrolment_id']}/cancel", {})
        assert r.status_code == 200, r.text
        status = {
            e["volunteer_id"]: e["status"]
            for e in (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        }
        assert status[kab[1]] == "confirmed"
        assert status[kota[1]] == "waitlisted"
        promoted = [e for e in await t.events("enrolment-confirmed") if e["from_waitlist"]]
        assert [e["volunteer_id"] for e in promoted] == [kab[1]]


async def test_raising_a_quota_promotes_its_queue(database_url):
    async with training_app(database_url) as t:
        kota = await add_volunteers(t, 2, village=KOTA_BEKASI)
        s = await open_session(t, **national_batch(capacity=5, quotas={"32.75": 1}))
        _, waiting = await enrol_all(t, s["id"], kota)
        assert waiting["outcome"] == "waitlisted"
        r = await t.client.patch(
            f"/sessions/{s['id']}", json={"quotas": {"32.75": 2}}, headers=t.headers()
        )
        assert r.status_code == 200, r.text
        assert r.json()["confirmed_count"] == 2


async def test_an_enrolment_names_only_an_organisation_quota_of_the_session(database_url):
    async with training_app(database_url) as t:
        [person] = await add_volunteers(t, 1, village=JAKARTA)
        s = await open_session(t, **national_batch(capacity=10, quotas=SEED_004))
        for quota in ("org:ipsm-jabar", "32.75", "IPSM Pusat"):
            r = await t.post(
                f"/sessions/{s['id']}/enrolments", {"volunteer_id": person, "quota": quota}
            )
            assert r.status_code == 422, (quota, r.text)
            assert r.json()["errors"][0]["field"] == "quota"
        ok = await t.post(
            f"/sessions/{s['id']}/enrolments", {"volunteer_id": person, "quota": "org:ipsm-pusat"}
        )
        assert ok.json()["outcome"] == "confirmed"
        [listed] = (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        assert listed["quota_key"] == "org:ipsm-pusat"


async def test_quota_keys_are_regions_organisations_or_one_remainder(database_url):
    async with training_app(database_url) as t:
        for quotas in ({"IPSM Pusat": 25}, {"national": 5, "remainder": 5}, {"org:IPSM": 1}):
            r = await t.post("/sessions", session_body(**national_batch(quotas=quotas)))
            assert r.status_code == 422, (quotas, r.text)
            assert "quotas" in r.text
        good = session_body(**national_batch(quotas={**SEED_004, "national": 5}))
        assert (await t.post("/sessions", good)).status_code == 201
