"""A person's enrolments for the console's person page: any operator role in the person's
region (viewers too), the 404 of an unknown id elsewhere."""

from __future__ import annotations

import uuid

from shared.auth import Role
from tests.training.helpers import (
    BEKASI_OPERATOR,
    DEPOK,
    DEPOK_OPERATOR,
    JABAR_OPERATOR,
    add_volunteers,
    enrol_all,
    open_session,
    run_to_completion,
    training_app,
)

DEPOK_VIEWER = {"role": Role.VIEWER, "scope": DEPOK}


async def test_an_operator_in_scope_lists_the_persons_enrolments_with_status_and_outcome(
    tmp_path,
):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid, other] = await add_volunteers(t, 2)
        s = await open_session(t, capacity=2)
        outcomes = await enrol_all(t, s["id"], [vid, other])
        await run_to_completion(t, s["id"], [o["enrolment_id"] for o in outcomes])

        r = await t.get(f"/volunteers/{vid}/enrolments", DEPOK_OPERATOR)
        assert r.status_code == 200, r.text
        [enrolment] = r.json()
        assert enrolment["session_id"] == s["id"]
        assert (enrolment["course_code"], enrolment["level"]) == ("BIMTEK-DASAR", "dasar")
        assert (enrolment["start_date"], enrolment["end_date"]) == ("2022-11-30", "2022-12-01")
        assert (enrolment["status"], enrolment["outcome"]) == ("confirmed", "passed")
        assert enrolment["session_in_scope"] is True
        # no scores: those stay in the writers' data-subject records
        assert "pre_score" not in enrolment and "attendance" not in enrolment
        assert other not in r.text


async def test_a_viewer_in_scope_may_read_the_enrolments(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        s = await open_session(t)
        await enrol_all(t, s["id"], [vid])

        r = await t.get(f"/volunteers/{vid}/enrolments", DEPOK_VIEWER)
        assert r.status_code == 200, r.text
        assert [(e["session_id"], e["status"]) for e in r.json()] == [(s["id"], "confirmed")]
        # the full records stay with writers
        assert (await t.get(f"/volunteers/{vid}/records", DEPOK_VIEWER)).status_code == 403


async def test_an_operator_of_another_regency_gets_the_404_of_an_unknown_id(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        s = await open_session(t)
        await enrol_all(t, s["id"], [vid])

        elsewhere = await t.get(f"/volunteers/{vid}/enrolments", BEKASI_OPERATOR)
        unknown = await t.get(f"/volunteers/{uuid.uuid4()}/enrolments", BEKASI_OPERATOR)
        assert (elsewhere.status_code, unknown.status_code) == (404, 404)
        assert elsewhere.json()["title"] == unknown.json()["title"]
        assert s["id"] not in elsewhere.text
        assert (await t.get(f"/volunteers/{vid}/enrolments", JABAR_OPERATOR)).status_code == 200


async def test_a_session_organised_above_the_operators_scope_is_marked_out_of_scope(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        s = await open_session(
            t,
            JABAR_OPERATOR,
            organiser_region_code="32",
            organiser_agency="Dinas Sosial Provinsi Jawa Barat",
        )
        await enrol_all(t, s["id"], [vid])

        [seen_by_regency] = (await t.get(f"/volunteers/{vid}/enrolments", DEPOK_VIEWER)).json()
        [seen_by_province] = (await t.get(f"/volunteers/{vid}/enrolments", JABAR_OPERATOR)).json()
        assert seen_by_regency["session_id"] == s["id"]
        assert (seen_by_regency["session_in_scope"], seen_by_province["session_in_scope"]) == (
            False,
            True,
        )


async def test_a_person_without_enrolments_has_an_empty_list(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        r = await t.get(f"/volunteers/{vid}/enrolments", DEPOK_VIEWER)
        assert (r.status_code, r.json()) == (200, [])
