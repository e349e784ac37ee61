"""Enrolment across regions (issue 13, item 4): an operator enrols only volunteers they may
see, unless a province or national batch's eligible regions admit others; an id outside
their reach answers exactly like an unknown id."""

from __future__ import annotations

import uuid

from tests.training.helpers import (
    DEPOK_OPERATOR,
    JABAR_OPERATOR,
    add_volunteers,
    open_session,
    training_app,
)

BEKASI_VILLAGE = "32.75.01.1001"
BANTEN_VILLAGE = "36.71.01.1001"


def province_batch(**overrides):
    return {
        "organiser_region_code": "32",
        "organiser_agency": "Dinas Sosial Provinsi Jawa Barat",
        **overrides,
    }


async def _enrol(t, session_id, volunteer_id, who):
    return await t.post(f"/sessions/{session_id}/enrolments", {"volunteer_id": volunteer_id}, who)


async def test_a_volunteer_outside_the_operators_scope_answers_like_an_unknown_id(database_url):
    async with training_app(database_url) as t:
        [bekasi] = await add_volunteers(t, 1, village=BEKASI_VILLAGE)
        s = await open_session(t, DEPOK_OPERATOR)
        outside = await _enrol(t, s["id"], bekasi, DEPOK_OPERATOR)
        unknown = await _enrol(t, s["id"], str(uuid.uuid4()), DEPOK_OPERATOR)
        assert outside.status_code == unknown.status_code == 404
        assert outside.json() == unknown.json()
        assert bekasi not in outside.text
        assert await t.events("enrolment-confirmed") == []
        assert await t.events("enrolment-waitlisted") == []


async def test_a_list_rejects_out_of_reach_ids_exactly_like_unknown_ones(database_url):
    async with training_app(database_url) as t:
        [bekasi] = await add_volunteers(t, 1, village=BEKASI_VILLAGE)
        [depok] = await add_volunteers(t, 1)
        s = await open_session(t, DEPOK_OPERATOR)
        r = await t.post(
            f"/sessions/{s['id']}/enrolments/bulk",
            {"volunteer_ids": [bekasi, str(uuid.uuid4()), depok]},
            DEPOK_OPERATOR,
        )
        outside, unknown, mine = r.json()
        assert outside["outcome"] == unknown["outcome"] == "rejected"
        assert outside["reasons"] == unknown["reasons"]
        assert [x["code"] for x in outside["reasons"]] == ["unknown_volunteer"]
        assert mine["outcome"] == "confirmed"


async def test_a_regency_batch_eligible_regions_do_not_widen_the_operators_reach(database_url):
    async with training_app(database_url) as t:
        [bekasi] = await add_volunteers(t, 1, village=BEKASI_VILLAGE)
        s = await open_session(t, DEPOK_OPERATOR, eligible_regions=["32.76", "32.75"])
        assert (await _enrol(t, s["id"], bekasi, DEPOK_OPERATOR)).status_code == 404


async def test_a_province_batch_admits_other_regions_only_through_eligible_regions(
    database_url,
):
    async with training_app(database_url) as t:
        [banten, other] = await add_volunteers(t, 2, village=BANTEN_VILLAGE)
        closed = await open_session(t, JABAR_OPERATOR, **province_batch())
        assert (await _enrol(t, closed["id"], banten, JABAR_OPERATOR)).status_code == 404
        admitting = await open_session(
            t, JABAR_OPERATOR, **province_batch(eligible_regions=["32", "36.71"])
        )
        r = await _enrol(t, admitting["id"], other, JABAR_OPERATOR)
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "confirmed"


async def test_a_national_admin_reaches_every_region(database_url):
    async with training_app(database_url) as t:
        [banten] = await add_volunteers(t, 1, village=BANTEN_VILLAGE)
        s = await open_session(t)
        assert (await _enrol(t, s["id"], banten, None)).json()["outcome"] == "confirmed"
