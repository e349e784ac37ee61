"""Transfers between regencies without the province: the origin releases or the destination
requests, the other end confirms or declines, the opener may cancel; history, audit, event."""

from __future__ import annotations

import pytest

from services.registry.domain.enums import TransferSide, TransferState
from services.registry.domain.errors import IllegalTransition, OutOfScope
from services.registry.domain.transfers import next_state, opening_state
from tests.builders import BEKASI_VILLAGE, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, JABAR, VIEWER, registry_http

ORIGIN, DESTINATION = TransferSide.ORIGIN, TransferSide.DESTINATION


def test_the_origin_opening_releases_and_the_destination_opening_requests():
    assert opening_state(True, False) == TransferState.RELEASED
    assert opening_state(False, True) == TransferState.REQUESTED
    with pytest.raises(IllegalTransition):
        opening_state(True, True)
    with pytest.raises(OutOfScope):
        opening_state(False, False)


@pytest.mark.parametrize(
    ("state", "action", "sides", "opener", "expected"),
    [
        ("released", "confirm", {DESTINATION}, ORIGIN, "confirmed"),
        ("released", "decline", {DESTINATION}, ORIGIN, "declined"),
        ("released", "cancel", {ORIGIN}, ORIGIN, "cancelled"),
        ("requested", "confirm", {ORIGIN}, DESTINATION, "confirmed"),
        ("requested", "cancel", {DESTINATION}, DESTINATION, "cancelled"),
        ("released", "confirm", {ORIGIN}, ORIGIN, OutOfScope),
        ("requested", "confirm", {DESTINATION}, DESTINATION, OutOfScope),
        ("released", "cancel", {DESTINATION}, ORIGIN, OutOfScope),
        ("confirmed", "cancel", {ORIGIN}, ORIGIN, IllegalTransition),
        ("declined", "confirm", {DESTINATION}, ORIGIN, IllegalTransition),
    ],
)
def test_each_step_is_taken_by_the_right_party_while_open(state, action, sides, opener, expected):
    if isinstance(expected, str):
        assert next_state(TransferState(state), action, sides=sides, opener=opener) == expected
    else:
        with pytest.raises(expected):
            next_state(TransferState(state), action, sides=sides, opener=opener)


async def _depok_volunteer(reg) -> tuple[str, dict]:
    body = volunteer_payload()
    return (await reg.post("/volunteers", DEPOK, json=body)).json()["id"], body


async def test_a_release_confirmed_by_the_destination_moves_the_volunteer(database_url):
    async with registry_http(database_url) as reg:
        vid, _ = await _depok_volunteer(reg)
        opened = await reg.post(
            "/transfers", DEPOK, json={"volunteer_id": vid, "village_code": BEKASI_VILLAGE}
        )
        assert opened.status_code == 201, opened.text
        t = opened.json()
        assert (t["state"], t["opened_by_side"]) == ("released", "origin")
        assert (await reg.get(f"/volunteers/{vid}", BEKASI)).status_code == 404  # not yet
        assert [x["id"] for x in (await reg.get("/transfers", BEKASI)).json()] == [t["id"]]
        own = await reg.post(f"/transfers/{t['id']}/confirm", DEPOK)
        assert own.status_code == 403
        done = await reg.post(f"/transfers/{t['id']}/confirm", BEKASI)
        assert done.json()["state"] == "confirmed"
        v = (await reg.get(f"/volunteers/{vid}", BEKASI)).json()
        assert (v["village_code"], v["regency_code"]) == (BEKASI_VILLAGE, "32.75")
        [moved] = await reg.outbox_events("volunteer-transferred")
        assert moved["from_village_code"] != BEKASI_VILLAGE
        assert (await reg.get(f"/volunteers/{vid}", DEPOK)).status_code == 404
        actions = await reg.sql(
            "SELECT action, actor FROM audit_log WHERE action LIKE 'transfer.%' ORDER BY at"
        )
        assert [a[0] for a in actions] == ["transfer.release", "transfer.confirm"]
        [(history,)] = await reg.sql("SELECT count(*) FROM transfers")
        assert history == 1


async def test_a_request_by_nik_confirmed_by_the_origin_moves_the_volunteer(database_url):
    async with registry_http(database_url) as reg:
        vid, body = await _depok_volunteer(reg)
        opened = await reg.post(
            "/transfers", BEKASI, json={"nik": body["nik"], "village_code": BEKASI_VILLAGE}
        )
        assert opened.status_code == 201, opened.text
        t = opened.json()
        assert (t["state"], t["volunteer_id"]) == ("requested", vid)
        assert body["nik"] not in opened.text
        assert (await reg.post(f"/transfers/{t['id']}/confirm", BEKASI)).status_code == 403
        assert (await reg.post(f"/transfers/{t['id']}/confirm", DEPOK)).json()["state"] == (
            "confirmed"
        )
        assert (await reg.get(f"/volunteers/{vid}", BEKASI)).status_code == 200


async def test_a_declined_or_cancelled_transfer_moves_nobody(database_url):
    async with registry_http(database_url) as reg:
        vid, _ = await _depok_volunteer(reg)
        body = {"volunteer_id": vid, "village_code": BEKASI_VILLAGE}
        first = (await reg.post("/transfers", DEPOK, json=body)).json()
        again = await reg.post("/transfers", DEPOK, json=body)
        assert again.status_code == 409  # one open transfer per volunteer
        assert (await reg.post(f"/transfers/{first['id']}/decline", BEKASI)).json()["state"] == (
            "declined"
        )
        assert (await reg.post(f"/transfers/{first['id']}/confirm", BEKASI)).status_code == 409
        second = (await reg.post("/transfers", DEPOK, json=body)).json()
        assert (await reg.post(f"/transfers/{second['id']}/cancel", BEKASI)).status_code == 403
        assert (await reg.post(f"/transfers/{second['id']}/cancel", DEPOK)).json()["state"] == (
            "cancelled"
        )
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert v["regency_code"] == "32.76"
        assert await reg.outbox_events("volunteer-transferred") == []


async def test_an_operator_outside_both_ends_sees_no_transfer(database_url):
    async with registry_http(database_url) as reg:
        vid, _ = await _depok_volunteer(reg)
        t = (
            await reg.post(
                "/transfers", DEPOK, json={"volunteer_id": vid, "village_code": BEKASI_VILLAGE}
            )
        ).json()
        bogor = {"role": DEPOK["role"], "scope": "32.01"}
        assert (await reg.post(f"/transfers/{t['id']}/confirm", bogor)).status_code == 404
        assert (await reg.get("/transfers", bogor)).json() == []
        assert (await reg.post(f"/transfers/{t['id']}/confirm", VIEWER)).status_code == 403
        assert (
            await reg.post(
                "/transfers", JABAR, json={"volunteer_id": vid, "village_code": BEKASI_VILLAGE}
            )
        ).status_code == 409  # the province moves directly


async def test_a_transfer_needs_exactly_one_of_volunteer_id_and_nik(database_url):
    async with registry_http(database_url) as reg:
        r = await reg.post("/transfers", DEPOK, json={"village_code": BEKASI_VILLAGE})
        assert r.status_code == 422
