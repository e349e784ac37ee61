"""A volunteer's own training page data, with their volunteer token: their enrolments and
certificates, the sessions still ahead, and one of their certificates as printed — never
another person's."""

from __future__ import annotations

import uuid

from shared.identity import VOLUNTEER_AUDIENCES, Role
from tests.builders import bearer, make_issuer
from tests.training.helpers import (
    Training,
    add_volunteers,
    certify,
    enrol_all,
    open_session,
    training_app,
)


def volunteer(t: Training, vid: str) -> dict[str, str]:
    token = make_issuer(t.app.state.service.clock).mint(
        subject=vid, role=Role.VOLUNTEER, scope=vid, audiences=VOLUNTEER_AUDIENCES
    )
    return bearer(token)


async def certificate_of(t: Training, vid: str) -> str:
    r = await t.get("/certificates", volunteer_id=vid)
    assert r.status_code == 200, r.text
    [cert] = r.json()
    return str(cert["id"])


async def test_a_volunteer_reads_their_records_upcoming_sessions_and_own_certificate(
    database_url,
):
    async with training_app(database_url) as t:
        siti, budi = await add_volunteers(t, 2, status="active")
        await certify(t, [siti, budi])
        ahead = await open_session(
            t,
            course_code="BIMTEK-LANJUTAN",
            organiser_agency="Dinas Sosial Provinsi Jawa Barat",
            organiser_region_code="32",
            start_date="2028-03-06",
            end_date="2028-03-07",
            capacity=5,
        )
        [placed] = await enrol_all(t, ahead["id"], [siti])
        assert placed["outcome"] == "confirmed", placed

        mine = await t.client.get("/me/records", headers=volunteer(t, siti))
        assert mine.status_code == 200, mine.text
        records = mine.json()
        assert records["volunteer"]["volunteer_id"] == siti
        assert [c["level"] for c in records["certificates"]] == ["dasar"]
        assert [e["session"]["id"] for e in records["upcoming"]] == [ahead["id"]]
        assert records["upcoming"][0]["status"] == "confirmed"
        assert len(records["enrolments"]) == 2
        assert budi not in mine.text

        own = await certificate_of(t, siti)
        printed = await t.client.get(f"/me/certificates/{own}", headers=volunteer(t, siti))
        assert printed.status_code == 200, printed.text
        body = printed.json()
        assert body["level"] == "dasar" and body["hours"] > 0 and body["status"] == "valid"
        assert body["session_title"] and body["course_title"] and "-" in body["display_code"]

        others = await certificate_of(t, budi)
        refused = await t.client.get(f"/me/certificates/{others}", headers=volunteer(t, siti))
        assert refused.status_code == 404


async def test_an_unknown_volunteers_token_finds_nothing_and_operators_cannot_use_me(
    database_url,
):
    async with training_app(database_url) as t:
        [siti] = await add_volunteers(t, 1)
        stranger = str(uuid.uuid4())
        assert (
            await t.client.get("/me/records", headers=volunteer(t, stranger))
        ).status_code == 404
        assert (await t.get("/me/records")).status_code == 403  # a national admin's token
        # the volunteer's token on the operator route for their own id: refused
        operator_route = await t.client.get(
            f"/volunteers/{siti}/records", headers=volunteer(t, siti)
        )
        assert operator_route.status_code == 403
