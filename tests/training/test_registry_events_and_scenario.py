"""On the real broker: training follows registry's events, and a whole Bimtek (seed 001)
ends in `certificate-issued` events that registry turns into active volunteers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from services.training.db.tables import KnownVolunteer
from shared.events.registry import VolunteerErased, VolunteerStatusChanged, VolunteerTransferred
from shared.events.training import CERTIFICATES_TOPIC, SESSIONS_TOPIC
from tests.builders import auth_headers
from tests.support import eventually, header, migrate, read_topic, running, settings_for
from tests.training.helpers import DEPOK_OPERATOR, registered, session_body
from tests.training.registry_feed import RegistryFeed

pytestmark = pytest.mark.broker


async def start_training(broker, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    await migrate("training", url)
    return settings_for("training", database_url=url, bootstrap=broker.bootstrap)


async def test_read_model_follows_status_transfer_and_erasure(broker, tmp_path):
    settings = await start_training(broker, tmp_path)
    a, b = registered(), registered()
    now = datetime.now(UTC)
    async with running("training", settings) as tr, RegistryFeed(broker.bootstrap) as feed:
        h = auth_headers(settings)
        await feed.publish(
            a,
            b,
            VolunteerStatusChanged(
                volunteer_id=a.volunteer_id,
                old_status="candidate",
                new_status="active",
                province_code="32",
                regency_code="32.76",
                changed_at=now,
            ),
            VolunteerTransferred(
                volunteer_id=b.volunteer_id,
                from_village_code=b.village_code,
                village_code="32.75.01.1001",
                district_code="32.75.01",
                regency_code="32.75",
                province_code="32",
                region_dataset="kepmendagri-2025",
                transferred_at=now,
            ),
        )

        async def known(vid, field, value):
            r = await tr.client.get(f"/volunteers/{vid}", headers=h)
            return r.status_code == 200 and r.json()[field] == value

        await eventually(lambda: known(a.volunteer_id, "status", "active"), message="status")
        await eventually(lambda: known(b.volunteer_id, "regency_code", "32.75"), message="move")

        created = await tr.client.post("/sessions", json=session_body(), headers=h)
        sid = created.json()["id"]
        await tr.client.post(f"/sessions/{sid}/open", headers=h)
        enrolled = await tr.client.post(
            f"/sessions/{sid}/enrolments", json={"volunteer_id": str(a.volunteer_id)}, headers=h
        )
        assert enrolled.json()["outcome"] == "confirmed"

        await feed.publish(VolunteerErased(volunteer_id=a.volunteer_id, erased_at=now))

        async def forgotten():
            return (
                await tr.client.get(f"/volunteers/{a.volunteer_id}", headers=h)
            ).status_code == 404

        await eventually(forgotten, message="erasure")
        listed = (await tr.client.get(f"/sessions/{sid}/enrolments", headers=h)).json()
        assert [(e["status"], e["cancel_reason"]) for e in listed] == [
            ("cancelled", "volunteer_erased")
        ]


async def test_depok_2022_bimtek_dasar_from_schedule_to_certificate_events(broker, tmp_path):
    """Seed 001: Dinsos Kota Depok, 100 PSM from 11 kecamatan, two days, Aula Baleka."""
    settings = await start_training(broker, tmp_path)
    volunteers = [
        registered(village=f"32.76.{k:02d}.{1001 + i // 11}")
        for i, k in enumerate((n % 11) + 1 for n in range(100))
    ]
    async with running("training", settings) as tr, RegistryFeed(broker.bootstrap) as feed:
        await feed.publish(*volunteers)

        async def all_known():
            async with tr.runtime.read_sessionmaker() as s:
                return (await s.execute(select(func.count()).select_from(KnownVolunteer))).scalar()

        await eventually(lambda: _equals(all_known, 100), timeout=30, message="100 volunteers")
        h = auth_headers(settings, **DEPOK_OPERATOR)
        api = tr.client

        body = session_body(
            title="Bimtek Dasar PSM Kota Depok 2022", capacity=100, eligible_regions=["32.76"]
        )
        created = await api.post("/sessions", json=body, headers=h)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (await api.post(f"/sessions/{sid}/open", headers=h)).json()["status"] == "open"

        ids = [str(v.volunteer_id) for v in volunteers]
        outcomes = (
            await api.post(
                f"/sessions/{sid}/enrolments/bulk", json={"volunteer_ids": ids}, headers=h
            )
        ).json()
        assert {o["outcome"] for o in outcomes} == {"confirmed"}
        enrolments = [o["enrolment_id"] for o in outcomes]

        assert (await api.post(f"/sessions/{sid}/start", headers=h)).status_code == 200
        for day in ("2022-11-30", "2022-12-01"):
            sheet = {"marks": [{"enrolment_id": e, "status": "present"} for e in enrolments]}
            sheet["marks"][-1]["status"] = "absent" if day == "2022-12-01" else "present"
            r = await api.put(f"/sessions/{sid}/attendance/{day}", json=sheet, headers=h)
            assert r.json() == {"recorded": 100}
        scores = {
            "scores": [
                {"enrolment_id": e, "pre_score": 45 + i % 10, "post_score": 70 + i % 20}
                for i, e in enumerate(enrolments)
            ]
        }
        assert (await api.put(f"/sessions/{sid}/scores", json=scores, headers=h)).status_code == 200
        summary = (await api.post(f"/sessions/{sid}/complete", headers=h)).json()
        assert (summary["participants"], summary["passed"], summary["failed"]) == (100, 99, 1)
        assert summary["mean_improvement"] > 20

        records = await read_topic(broker.bootstrap, CERTIFICATES_TOPIC, expect=99, timeout=30)
        issued = [
            json.loads(r.value) for r in records if header(r, "ce_type") == "certificate-issued"
        ]
        assert len(issued) == 99
        assert {e["level"] for e in issued} == {"dasar"}
        assert {e["volunteer_id"] for e in issued} == set(ids[:-1])
        assert all(r.key.decode() == json.loads(r.value)["volunteer_id"] for r in records)
        assert all(header(r, "ce_source") == "training" for r in records)

        code = issued[0]["verification_code"]
        shown = (await api.get(f"/certificates/verify/{code}")).json()
        assert shown["status"] == "valid"
        assert shown["issuer"] == "Dinas Sosial Kota Depok"
        assert shown["session"]["start_date"] == "2022-11-30"

        sessions = await read_topic(broker.bootstrap, SESSIONS_TOPIC, expect=2)
        types = [header(r, "ce_type") for r in sessions]
        assert types == ["session-scheduled", "session-completed"]
        completed = json.loads(sessions[-1].value)
        assert completed["by_region"]["32.76"]["passed"] == 99
        assert uuid.UUID(completed["session_id"]) == uuid.UUID(sid)


async def _equals(check, expected):
    return await check() == expected
