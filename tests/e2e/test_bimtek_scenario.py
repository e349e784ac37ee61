"""Seed 001 across services: Dinsos Kota Depok's Bimtek Dasar 2022 (Aula Baleka, two days).

Candidates are registered in registry, reach training through `volunteer-registered`, are
scheduled, enrolled, attend two days and sit the tests; completing the session issues
certificates, and registry turns each passed `dasar` into an active PSM through
`certificate-issued` — no service reads another's database.
"""

from __future__ import annotations

from datetime import date

import pytest

from shared.auth import Role
from tests.builders import auth_headers, make_nik, volunteer_payload
from tests.support import eventually, migrate, running, settings_for

pytestmark = [pytest.mark.broker, pytest.mark.e2e]

DEPOK_OPERATOR = {"role": Role.REGENCY_OPERATOR, "scope": "32.76"}
# one candidate from each of Kota Depok's 11 kecamatan (the seed had 100 from 11)
DISTRICTS = [f"32.76.{k:02d}" for k in range(1, 12)]


async def first_village(district: str) -> str:
    from lokal import wilayah

    return sorted(w.code for w in wilayah.list_wilayah(district))[0]


async def test_depok_bimtek_dasar_makes_passed_candidates_active_in_registry(broker, tmp_path):
    urls = {n: f"sqlite+aiosqlite:///{tmp_path / n}.db" for n in ("registry", "training")}
    for name, url in urls.items():
        await migrate(name, url)
    cfg = {n: settings_for(n, database_url=u, bootstrap=broker.bootstrap) for n, u in urls.items()}
    async with (
        running("registry", cfg["registry"]) as reg,
        running("training", cfg["training"]) as tr,
    ):
        reg_h = auth_headers(cfg["registry"], **DEPOK_OPERATOR)
        tr_h = auth_headers(cfg["training"], **DEPOK_OPERATOR)
        ids = []
        for i, district in enumerate(DISTRICTS):
            birth = date(1980 + i, 3, 1 + i)
            body = volunteer_payload(
                village_code=await first_village(district),
                nik=make_nik(region=district.replace(".", ""), birth=birth, female=i % 2 == 0),
                birth_date=birth.isoformat(),
                sex="P" if i % 2 == 0 else "L",
            )
            r = await reg.client.post("/volunteers", json=body, headers=reg_h)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])

        async def all_known_to_training():
            codes = [
                (await tr.client.get(f"/volunteers/{v}", headers=tr_h)).status_code for v in ids
            ]
            return codes == [200] * len(ids)

        await eventually(
            all_known_to_training, timeout=30, message="training learnt the candidates"
        )

        api = tr.client
        created = await api.post(
            "/sessions",
            headers=tr_h,
            json={
                "course_code": "BIMTEK-DASAR",
                "organiser_agency": "Dinas Sosial Kota Depok",
                "organiser_region_code": "32.76",
                "venue_name": "Aula Baleka lt. 10",
                "venue_village_code": "32.76.01.1006",
                "start_date": "2022-11-30",
                "end_date": "2022-12-01",
                "capacity": 100,
                "eligible_regions": ["32.76"],
            },
        )
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (await api.post(f"/sessions/{sid}/open", headers=tr_h)).status_code == 200
        outcomes = (
            await api.post(
                f"/sessions/{sid}/enrolments/bulk", headers=tr_h, json={"volunteer_ids": ids}
            )
        ).json()
        assert {o["outcome"] for o in outcomes} == {"confirmed"}, outcomes
        enrolments = [o["enrolment_id"] for o in outcomes]
        assert (await api.post(f"/sessions/{sid}/start", headers=tr_h)).status_code == 200
        for day in ("2022-11-30", "2022-12-01"):
            marks = [{"enrolment_id": e, "status": "present"} for e in enrolments]
            if day == "2022-12-01":
                marks[-1]["status"] = "absent"  # the last candidate misses day two and fails
            r = await api.put(
                f"/sessions/{sid}/attendance/{day}", json={"marks": marks}, headers=tr_h
            )
            assert r.status_code == 200, r.text
        scores = [{"enrolment_id": e, "pre_score": 50, "post_score": 80} for e in enrolments]
        assert (
            await api.put(f"/sessions/{sid}/scores", json={"scores": scores}, headers=tr_h)
        ).status_code == 200
        summary = (await api.post(f"/sessions/{sid}/complete", headers=tr_h)).json()
        assert (summary["passed"], summary["failed"]) == (10, 1)

        async def status_in_registry(vid):
            return (await reg.client.get(f"/volunteers/{vid}", headers=reg_h)).json()["status"]

        async def passed_are_active():
            return [await status_in_registry(v) for v in ids[:-1]] == ["active"] * 10

        await eventually(
            passed_are_active, timeout=30, message="registry activated the passed candidates"
        )
        assert await status_in_registry(ids[-1]) == "candidate"

        certificates = (
            await api.get("/certificates", params={"volunteer_id": ids[0]}, headers=tr_h)
        ).json()
        verified = (
            await api.get(f"/certificates/verify/{certificates[0]['verification_code']}")
        ).json()
        assert verified["status"] == "valid" and verified["issuer"] == "Dinas Sosial Kota Depok"
        history = (await reg.client.get(f"/volunteers/{ids[0]}/history", headers=reg_h)).json()
        assert (history[-1]["old_status"], history[-1]["new_status"]) == ("candidate", "active")
