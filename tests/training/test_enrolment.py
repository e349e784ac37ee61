"""Enrolment: eligibility explained, waitlist in order, promotion, bulk outcomes."""

from __future__ import annotations

import uuid

from tests.training.helpers import (
    BEKASI_OPERATOR,
    JABAR_OPERATOR,
    add_volunteers,
    certify,
    enrol_all,
    open_session,
    session_body,
    training_app,
)


def reason_codes(outcome):
    return [r["code"] for r in outcome["reasons"]]


async def test_unknown_volunteer_is_not_found_alone_and_rejected_in_a_list(database_url):
    async with training_app(database_url) as t:
        s = await open_session(t)
        r = await t.post(f"/sessions/{s['id']}/enrolments", {"volunteer_id": str(uuid.uuid4())})
        assert r.status_code == 404
        [o] = await enrol_all(t, s["id"], [str(uuid.uuid4())])
        assert o["outcome"] == "rejected"
        assert reason_codes(o) == ["unknown_volunteer"]


async def test_status_not_allowed_and_prerequisite_missing_are_both_explained(database_url):
    async with training_app(database_url) as t:
        [candidate] = await add_volunteers(t, 1, status="candidate")
        s = await open_session(
            t, JABAR_OPERATOR, course_code="BIMTEK-LANJUTAN", organiser_region_code="32"
        )
        [o] = await enrol_all(t, s["id"], [candidate])
        assert o["outcome"] == "rejected"
        assert reason_codes(o) == ["status_not_allowed", "prerequisite_missing"]


async def test_outside_eligible_regions_is_rejected(database_url):
    async with training_app(database_url) as t:
        [bekasi] = await add_volunteers(t, 1, village="32.75.01.1001")
        [depok] = await add_volunteers(t, 1)
        s = await open_session(t, eligible_regions=["32.76"])
        outcomes = await enrol_all(t, s["id"], [bekasi, depok])
        assert reason_codes(outcomes[0]) == ["outside_eligible_regions"]
        assert outcomes[1]["outcome"] == "confirmed"


async def test_quota_per_region_is_enforced_like_kemensos_2020(database_url):
    async with training_app(database_url) as t:
        kota = await add_volunteers(t, 3, village="32.75.01.1001")
        kab = await add_volunteers(t, 1, village="32.16.01.2001")
        s = await open_session(
            t,
            organiser_region_code="national",
            organiser_agency="Kementerian Sosial",
            venue_name="Kemensos Jakarta",
            venue_village_code="31.71.01.1001",
            capacity=500,
            quotas={"32.75": 2, "32.16": 2},
        )
        outcomes = await enrol_all(t, s["id"], [*kota, *kab])
        assert [o["outcome"] for o in outcomes] == [
            "confirmed",
            "confirmed",
            "waitlisted",
            "confirmed",
        ]
        assert (outcomes[2]["quota"], outcomes[2]["position"]) == ("32.75", 1)


async def test_already_enrolled_and_already_certified_are_rejected(database_url):
    async with training_app(database_url) as t:
        [graduate, other] = await add_volunteers(t, 2)
        await certify(t, [graduate])
        s = await open_session(t)
        [first] = await enrol_all(t, s["id"], [other])
        assert first["outcome"] == "confirmed"
        again, certified = await enrol_all(t, s["id"], [other, graduate])
        assert reason_codes(again) == ["already_enrolled"]
        assert reason_codes(certified) == ["already_certified"]


async def test_full_session_waitlists_in_order_and_cancellation_promotes_the_next(database_url):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 4)
        s = await open_session(t, capacity=2)
        outcomes = await enrol_all(t, s["id"], ids)
        assert [o["outcome"] for o in outcomes] == [
            "confirmed",
            "confirmed",
            "waitlisted",
            "waitlisted",
        ]
        assert [o["position"] for o in outcomes[2:]] == [1, 2]
        waitlisted = await t.events("enrolment-waitlisted")
        assert [e["position"] for e in waitlisted] == [1, 2]

        r = await t.post(f"/enrolments/{outcomes[0]['enrolment_id']}/cancel", {})
        assert r.status_code == 200
        listed = {
            e["volunteer_id"]: e["status"]
            for e in (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        }
        assert listed[ids[0]] == "cancelled"
        assert listed[ids[2]] == "confirmed"  # first in line, not the last
        assert listed[ids[3]] == "waitlisted"
        promoted = [e for e in await t.events("enrolment-confirmed") if e["from_waitlist"]]
        assert [e["volunteer_id"] for e in promoted] == [ids[2]]
        [cancelled] = await t.events("enrolment-cancelled")
        assert cancelled["reason_code"] == "withdrawn"


async def test_bulk_enrolment_returns_one_outcome_per_volunteer(database_url):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 3)
        unknown = str(uuid.uuid4())
        s = await open_session(t, capacity=2)
        outcomes = await enrol_all(t, s["id"], [ids[0], unknown, ids[1], ids[2]])
        assert [(o["volunteer_id"], o["outcome"]) for o in outcomes] == [
            (ids[0], "confirmed"),
            (unknown, "rejected"),
            (ids[1], "confirmed"),
            (ids[2], "waitlisted"),
        ]


async def test_enrolment_needs_an_open_session_in_scope(database_url):
    async with training_app(database_url) as t:
        [vid] = await add_volunteers(t, 1)
        draft = (await t.post("/sessions", session_body())).json()
        r = await t.post(f"/sessions/{draft['id']}/enrolments", {"volunteer_id": vid})
        assert r.status_code == 409
        s = await open_session(t)
        other = await t.post(
            f"/sessions/{s['id']}/enrolments", {"volunteer_id": vid}, BEKASI_OPERATOR
        )
        assert other.status_code == 404


async def test_raising_capacity_promotes_the_waitlist_in_order(database_url):
    async with training_app(database_url) as t:
        ids = await add_volunteers(t, 3)
        s = await open_session(t, capacity=1)
        await enrol_all(t, s["id"], ids)
        r = await t.client.patch(f"/sessions/{s['id']}", json={"capacity": 2}, headers=t.headers())
        assert r.status_code == 200 and r.json()["confirmed_count"] == 2
        listed = {
            e["volunteer_id"]: e["status"]
            for e in (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        }
        assert [listed[v] for v in ids] == ["confirmed", "confirmed", "waitlisted"]
        shrink = await t.client.patch(
            f"/sessions/{s['id']}", json={"capacity": 1}, headers=t.headers()
        )
        assert shrink.status_code == 422


async def test_volunteer_leaving_the_programme_loses_places_in_sessions_not_started(
    database_url,
):
    from datetime import UTC, datetime

    from services.training.service import volunteers
    from shared.events.registry import VolunteerStatusChanged

    async with training_app(database_url) as t:
        [leaving, waiting] = await add_volunteers(t, 2)
        s = await open_session(t, capacity=1)
        await enrol_all(t, s["id"], [leaving, waiting])
        async with t.runtime.sessionmaker() as db, db.begin():
            await volunteers.change_status(
                db,
                VolunteerStatusChanged(
                    volunteer_id=uuid.UUID(leaving),
                    old_status="candidate",
                    new_status="resigned",
                    province_code="32",
                    regency_code="32.76",
                    changed_at=datetime.now(UTC),
                ),
                now=datetime.now(UTC),
            )
        listed = {
            e["volunteer_id"]: e for e in (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        }
        assert listed[leaving]["cancel_reason"] == "volunteer_inactive"
        assert listed[waiting]["status"] == "confirmed"
        assert (await t.get(f"/volunteers/{leaving}")).json()["status"] == "resigned"
