"""Issue 13 acceptance, end to end: a regency operator's full Bimtek (seed 001, Kota Depok)
and a ministry batch with regional quotas and a remainder (seed 004, scaled down).

Registry, training and notifications run in process on the real broker, each with its own
SQLite database, on one clock the test moves through the batch's days; they talk only
through Kafka and their HTTP APIs.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest

from shared.auth import Role
from shared.events.training import ENROLMENTS_TOPIC
from tests.e2e.field_helpers import Platform, platform
from tests.support import eventually, header, read_topic

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

DEPOK_OPERATOR = {"role": Role.REGENCY_OPERATOR, "scope": "32.76"}
#: Kota Depok's 11 kecamatan (seed 001: 100 PSM from 11 kecamatan)
DEPOK_DISTRICTS = [f"32.76.{k:02d}" for k in range(1, 12)]
KOTA_BEKASI = "32.75.01.1001"
KAB_BEKASI = "32.16.01.2001"
DEPOK = "32.76.01.1006"
KOTA_TANGERANG = "36.71.01.1001"
MAKASSAR = "73.71.01.1001"


def first_village(district: str) -> str:
    from lokal import wilayah

    return sorted(w.code for w in wilayah.list_wilayah(district))[0]


async def _enrol_bulk(p: Platform, sid: str, ids: list[str], who=None) -> list[dict]:
    r = await p.training.client.post(
        f"/sessions/{sid}/enrolments/bulk", json={"volunteer_ids": ids}, headers=p.headers(who)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _attend(p: Platform, sid: str, day: str, marks: dict[str, str], who=None) -> None:
    sheet = {"marks": [{"enrolment_id": e, "status": s} for e, s in marks.items()]}
    r = await p.training.client.put(
        f"/sessions/{sid}/attendance/{day}", json=sheet, headers=p.headers(who)
    )
    assert r.status_code == 200, r.text


async def _score(p: Platform, sid: str, posts: dict[str, float], who=None) -> None:
    scores = [{"enrolment_id": e, "pre_score": 50, "post_score": s} for e, s in posts.items()]
    r = await p.training.client.put(
        f"/sessions/{sid}/scores", json={"scores": scores}, headers=p.headers(who)
    )
    assert r.status_code == 200, r.text


async def _certificates(p: Platform, vid: str) -> list[dict]:
    r = await p.training.client.get(
        "/certificates", params={"volunteer_id": vid}, headers=p.headers()
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _active_dasar(p: Platform, ids: list[str]) -> bool:
    for vid in ids:
        record = await p.registry_record(vid)
        if (record["status"], record["training_level"]) != ("active", "dasar"):
            return False
    return True


async def test_a_regency_operators_full_bimtek_dasar_runs_end_to_end(broker, tmp_path):
    # Monday 1 March 2027, 10:00 WIB: Dinsos Kota Depok prepares its Bimtek Dasar
    async with platform(
        broker.bootstrap, tmp_path, now=datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
    ) as p:
        op = DEPOK_OPERATOR
        # 20 candidates across Depok's 11 kecamatan, registered by the regency operator;
        # the first carries a NIK first registered in Papua before the 2022 split (lifelong)
        ids = []
        for i in range(20):
            ids.append(
                await p.register(
                    first_village(DEPOK_DISTRICTS[i % 11]),
                    who=op,
                    birth=date(1975 + i, 1 + i % 12, 1 + i),
                    female=i % 2 == 0,
                    nik_region="910101" if i == 0 else None,
                )
            )
        # someone of Kota Bekasi, registered there (national admin)
        bekasi = await p.register(KOTA_BEKASI)
        await p.known_to_training([*ids, bekasi])

        # a two-day Bimtek Dasar, eligible to Kota Depok
        api = p.training.client
        created = await api.post(
            "/sessions",
            headers=p.headers(op),
            json={
                "course_code": "BIMTEK-DASAR",
                "organiser_agency": "Dinas Sosial Kota Depok",
                "organiser_region_code": "32.76",
                "venue_name": "Aula Baleka lt. 10",
                "venue_village_code": DEPOK,
                "start_date": "2027-03-16",
                "end_date": "2027-03-17",
                "capacity": 25,
                "eligible_regions": ["32.76"],
            },
        )
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (await api.post(f"/sessions/{sid}/open", headers=p.headers(op))).status_code == 200

        # someone of another regency is refused exactly like an id that does not exist
        outside = await api.post(
            f"/sessions/{sid}/enrolments", json={"volunteer_id": bekasi}, headers=p.headers(op)
        )
        unknown = await api.post(
            f"/sessions/{sid}/enrolments",
            json={"volunteer_id": str(uuid.uuid4())},
            headers=p.headers(op),
        )
        assert outside.status_code == unknown.status_code == 404
        assert outside.json() == unknown.json()

        outcomes = await _enrol_bulk(p, sid, ids, op)
        assert [o["outcome"] for o in outcomes] == ["confirmed"] * 20, outcomes
        enrolment = {o["volunteer_id"]: o["enrolment_id"] for o in outcomes}
        await p.wait_told(sid, "enrolment-confirmed", ids)

        # moved once before it starts: a week later, another hall; every participant is told
        moved = await api.patch(
            f"/sessions/{sid}",
            json={
                "start_date": "2027-03-23",
                "end_date": "2027-03-24",
                "venue_name": "Aula Balai Kota Depok",
            },
            headers=p.headers(op),
        )
        assert moved.status_code == 200, moved.text
        told = await p.wait_told(sid, "session-rescheduled", ids)
        assert told == {vid: 1 for vid in ids}
        assert bekasi not in {row["recipient_id"] for row in await p.ledger(sid)}

        # Tuesday 23 March, 08:00 WIB: day one
        p.clock.set(datetime(2027, 3, 23, 1, 0, tzinfo=UTC))
        assert (await api.post(f"/sessions/{sid}/start", headers=p.headers(op))).status_code == 200
        absent_on_day_two, low_score = ids[5], ids[12]
        await _attend(p, sid, "2027-03-23", {e: "present" for e in enrolment.values()}, op)
        early = await api.post(f"/sessions/{sid}/complete", headers=p.headers(op))
        assert early.status_code == 409  # not before the last day unless forced

        # Wednesday 24 March, 15:00 WIB: day two, the tests, the preview, completion
        p.clock.set(datetime(2027, 3, 24, 8, 0, tzinfo=UTC))
        day_two = {e: "present" for e in enrolment.values()}
        day_two[enrolment[absent_on_day_two]] = "absent"
        await _attend(p, sid, "2027-03-24", day_two, op)
        rules = (await api.get(f"/sessions/{sid}/completion-preview", headers=p.headers(op))).json()
        pass_mark = rules["pass_mark"]
        posts = {e: float(pass_mark + 10) for e in enrolment.values()}
        posts[enrolment[low_score]] = float(pass_mark - 10)
        await _score(p, sid, posts, op)

        preview = await api.get(f"/sessions/{sid}/completion-preview", headers=p.headers(op))
        assert preview.status_code == 200, preview.text
        shown = preview.json()
        assert (shown["needs_force"], shown["would_pass"], shown["would_fail"]) == (False, 18, 2)
        by_volunteer = {r["volunteer_id"]: r for r in shown["results"]}
        absent = by_volunteer[absent_on_day_two]
        assert (absent["would_pass"], absent["days_attended"], absent["attendance_pct"]) == (
            False,
            1,
            50.0,
        )
        low = by_volunteer[low_score]
        assert (low["would_pass"], low["days_attended"], low["post_score"]) == (
            False,
            2,
            pass_mark - 10,
        )
        assert absent["reason"] and low["reason"] and absent["reason"] != low["reason"]
        assert all(
            by_volunteer[v]["would_pass"] for v in ids if v not in (absent_on_day_two, low_score)
        )
        status = (await api.get(f"/sessions/{sid}", headers=p.headers(op))).json()["status"]
        assert status == "in_progress"  # the preview changed nothing

        done = await api.post(f"/sessions/{sid}/complete", headers=p.headers(op))
        assert done.status_code == 200, done.text
        assert (done.json()["passed"], done.json()["failed"]) == (18, 2)
        failed = [absent_on_day_two, low_score]
        passed = [v for v in ids if v not in failed]

        # certificates for the passed only
        for vid in ids:
            held = await _certificates(p, vid)
            assert len(held) == (0 if vid in failed else 1), (vid, held)
        # registry turns the passed into active PSM (certificate-issued), the lifelong NIK too
        await eventually(
            lambda: _active_dasar(p, passed), timeout=30, message="registry activated the passed"
        )
        for vid in failed:
            assert (await p.registry_record(vid))["status"] == "candidate"
        assert ids[0] in passed
        # notifications queued a certificate message for each passed participant, none else
        certified = await p.wait_told(sid, "certificate-issued", passed)
        assert set(certified) == set(passed)
        # those who did not pass are told why (attendance, score) and what to do next
        not_passed = await p.wait_told(sid, "participant-not-passed", failed)
        assert not_passed == {absent_on_day_two: 1, low_score: 1}

        async def sent_bodies() -> dict[str, str] | None:
            rows = [r for r in await p.ledger(sid) if r["template"] == "participant-not-passed"]
            done = {r["recipient_id"]: r["body"] for r in rows if r["status"] == "sent"}
            return done if len(done) == 2 else None

        told_why = await eventually(sent_bodies, timeout=30, message="not-passed messages sent")
        assert told_why is not None
        assert "kehadiran 1 dari 2 hari" in told_why[absent_on_day_two]
        assert "nilai post-test" in told_why[low_score]
        # each participant's result is published with every rule missed (participant-evaluated)
        records = await read_topic(broker.bootstrap, ENROLMENTS_TOPIC, expect=40, timeout=30)
        results = {
            e["volunteer_id"]: (e["passed"], e["reasons"])
            for e in (
                json.loads(r.value)
                for r in records
                if header(r, "ce_type") == "participant-evaluated"
            )
        }
        assert results == {
            **{vid: (True, []) for vid in passed},
            absent_on_day_two: (False, ["attendance_below_minimum"]),
            low_score: (False, ["post_test_below_pass_mark"]),
        }


async def test_a_ministry_batch_with_regional_quotas_and_a_remainder_runs_end_to_end(
    broker, tmp_path
):
    # Monday 1 February 2027: Kemensos plans seed 004's batch, scaled down to 12 seats
    async with platform(
        broker.bootstrap, tmp_path, now=datetime(2027, 2, 1, 3, 0, tzinfo=UTC)
    ) as p:
        kota = [await p.register(KOTA_BEKASI, birth=date(1980, 1, 1 + i)) for i in range(6)]
        elsewhere = [
            await p.register(v, birth=date(1981, 2, 1 + i))
            for i, v in enumerate((DEPOK, KOTA_TANGERANG, MAKASSAR, first_village("36.71.02")))
        ]
        kab = [await p.register(KAB_BEKASI, birth=date(1982, 3, 1 + i)) for i in range(5)]
        bali = await p.register(first_village("51.71.01"))
        await p.known_to_training([*kota, *elsewhere, *kab, bali])

        api = p.training.client
        created = await api.post(
            "/sessions",
            headers=p.headers(),
            json={
                "course_code": "BIMTEK-DASAR",
                "organiser_agency": "Kementerian Sosial",
                "organiser_region_code": "national",
                "venue_name": "Aula Kemensos",
                "venue_village_code": "31.71.01.1001",
                "start_date": "2027-02-17",
                "end_date": "2027-02-18",
                "capacity": 12,
                "eligible_regions": ["32", "36", "73"],
                "quotas": {"32.75": 5, "32.16": 4, "national": 3},
            },
        )
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (await api.post(f"/sessions/{sid}/open", headers=p.headers())).status_code == 200

        # Kota Bekasi's sixth waits for a Kota Bekasi seat, though remainder seats are free
        first = await _enrol_bulk(p, sid, kota)
        assert [(o["outcome"], o["quota"]) for o in first] == [("confirmed", "32.75")] * 5 + [
            ("waitlisted", "32.75")
        ]
        assert first[5]["position"] == 1
        # the remainder covers only whoever no other key covers (Depok, Banten, Makassar)
        second = await _enrol_bulk(p, sid, elsewhere)
        assert [(o["outcome"], o["quota"]) for o in second] == [("confirmed", "national")] * 3 + [
            ("waitlisted", "national")
        ]
        third = await _enrol_bulk(p, sid, kab)
        assert [(o["outcome"], o["quota"]) for o in third] == [("confirmed", "32.16")] * 4 + [
            ("waitlisted", "32.16")
        ]
        assert third[4]["position"] == 1  # first in its own quota's queue
        [refused] = await _enrol_bulk(p, sid, [bali])
        assert refused["outcome"] == "rejected"
        assert [r["code"] for r in refused["reasons"]] == ["outside_eligible_regions"]
        session = (await api.get(f"/sessions/{sid}", headers=p.headers())).json()
        assert session["confirmed_count"] == 12

        # a Kab. Bekasi place is cancelled: its seat goes to Kab. Bekasi's queue, not to the
        # remainder's applicant who has waited longer
        r = await api.post(
            f"/enrolments/{third[0]['enrolment_id']}/cancel", json={}, headers=p.headers()
        )
        assert r.status_code == 200, r.text
        listed = (await api.get(f"/sessions/{sid}/enrolments", headers=p.headers())).json()
        status = {e["volunteer_id"]: e["status"] for e in listed}
        assert status[kab[4]] == "confirmed"
        assert (status[elsewhere[3]], status[kota[5]], status[kab[0]]) == (
            "waitlisted",
            "waitlisted",
            "cancelled",
        )
        await p.wait_told(sid, "enrolment-waitlisted", [kota[5], elsewhere[3]])
        await p.wait_told(sid, "promoted-from-waitlist", [kab[4]])

        participants = [*kota[:5], *elsewhere[:3], *kab[1:]]
        assert sorted(participants) == sorted(v for v, s in status.items() if s == "confirmed")
        seat = {e["volunteer_id"]: e["id"] for e in listed if e["status"] == "confirmed"}

        # 17–18 February: two days, everyone present, everyone passes
        p.clock.set(datetime(2027, 2, 17, 1, 0, tzinfo=UTC))
        assert (await api.post(f"/sessions/{sid}/start", headers=p.headers())).status_code == 200
        await _attend(p, sid, "2027-02-17", {e: "present" for e in seat.values()})
        p.clock.set(datetime(2027, 2, 18, 8, 0, tzinfo=UTC))
        await _attend(p, sid, "2027-02-18", {e: "present" for e in seat.values()})
        await _score(p, sid, {e: 85.0 for e in seat.values()})
        done = await api.post(f"/sessions/{sid}/complete", headers=p.headers())
        assert done.status_code == 200, done.text
        summary = done.json()
        assert (summary["participants"], summary["passed"], summary["failed"]) == (12, 12, 0)

        not_participants = [kota[5], elsewhere[3], kab[0], bali]
        for vid in participants:
            assert len(await _certificates(p, vid)) == 1, vid
        for vid in not_participants:
            assert await _certificates(p, vid) == [], vid
        await eventually(
            lambda: _active_dasar(p, participants),
            timeout=30,
            message="registry made every participant an active PSM with level dasar",
        )
        for vid in not_participants:
            record = await p.registry_record(vid)
            assert (record["status"], record["training_level"]) == ("candidate", None)
        await p.wait_told(sid, "certificate-issued", participants)
