"""A person's training records for their data-subject export: everything training holds
about them, within the operator's region only."""

from __future__ import annotations

import uuid

from tests.training.helpers import (
    BEKASI_OPERATOR,
    DEPOK_OPERATOR,
    JABAR_OPERATOR,
    add_volunteers,
    enrol_all,
    open_session,
    run_to_completion,
    training_app,
)


async def test_records_hold_enrolments_attendance_scores_outcome_and_certificate(database_url):
    async with training_app(database_url) as t:
        [vid, other] = await add_volunteers(t, 2)
        s = await open_session(t, capacity=2)
        outcomes = await enrol_all(t, s["id"], [vid, other])
        await run_to_completion(t, s["id"], [o["enrolment_id"] for o in outcomes], pre=40, post=85)

        r = await t.get(f"/volunteers/{vid}/records", DEPOK_OPERATOR)
        assert r.status_code == 200, r.text
        records = r.json()
        assert records["volunteer"]["volunteer_id"] == vid
        [enrolment] = records["enrolments"]
        assert enrolment["session"]["id"] == s["id"]
        assert enrolment["session"]["venue_name"] == "Aula Baleka lt. 10"
        assert (enrolment["session"]["start_date"], enrolment["session"]["end_date"]) == (
            "2022-11-30",
            "2022-12-01",
        )
        assert (enrolment["status"], enrolment["outcome"]) == ("confirmed", "passed")
        assert (enrolment["pre_score"], enrolment["post_score"]) == (40, 85)
        assert [(a["day"], a["status"]) for a in enrolment["attendance"]] == [
            ("2022-11-30", "present"),
            ("2022-12-01", "present"),
        ]
        [certificate] = records["certificates"]
        assert (certificate["level"], certificate["status"]) == ("dasar", "valid")
        assert certificate["number"] and certificate["revoked_reason_code"] is None
        # only this person's: the other participant's enrolment and certificate are not here
        assert other not in r.text


async def test_a_revoked_certificate_shows_its_reason_code(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        s = await open_session(t, capacity=1)
        [outcome] = await enrol_all(t, s["id"], [vid])
        await run_to_completion(t, s["id"], [outcome["enrolment_id"]])
        [cert] = (await t.get("/certificates", volunteer_id=vid)).json()
        revoked = await t.post(
            f"/certificates/{cert['id']}/revoke", {"reason_code": "issued_in_error"}
        )
        assert revoked.status_code == 200, revoked.text

        [certificate] = (await t.get(f"/volunteers/{vid}/records")).json()["certificates"]
        assert certificate["status"] == "revoked"
        assert certificate["revoked_reason_code"] == "issued_in_error"
        assert certificate["revoked_at"] is not None


async def test_an_operator_of_another_regency_gets_the_404_of_an_unknown_id(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t)
        elsewhere = await t.get(f"/volunteers/{vid}/records", BEKASI_OPERATOR)
        unknown = await t.get(f"/volunteers/{uuid.uuid4()}/records", BEKASI_OPERATOR)
        assert (elsewhere.status_code, unknown.status_code) == (404, 404)
        assert elsewhere.json()["title"] == unknown.json()["title"]
        assert (await t.get(f"/volunteers/{vid}/records", JABAR_OPERATOR)).status_code == 200


async def test_a_person_without_enrolments_has_empty_records(tmp_path):
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        [vid] = await add_volunteers(t)
        records = (await t.get(f"/volunteers/{vid}/records", DEPOK_OPERATOR)).json()
        assert (records["enrolments"], records["certificates"]) == ([], [])
