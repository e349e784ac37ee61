"""Lifecycle over HTTP and from training's certificates: history, events, verification."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.registry.db.tables import Volunteer
from services.registry.service import lifecycle
from shared.events.training import CertificateIssued
from tests.builders import make_nik, volunteer_payload
from tests.registry.helpers import DEPOK, NATIONAL, registry_http

RECOMMENDED = {
    "recommendations": {
        "village_head": {"name": "Lurah Depok", "date": "2024-01-10"},
        "ipsm": {"name": "IPSM Kel. Depok", "date": "2024-01-12"},
    },
    "decree": {"number": "SK-12/2024", "date": "2024-02-01", "issuer": "Dinas Sosial Kota Depok"},
}


def certificate(volunteer_id: str, level: str = "dasar") -> CertificateIssued:
    return CertificateIssued(
        certificate_id=uuid.uuid4(),
        volunteer_id=uuid.UUID(volunteer_id),
        session_id=uuid.uuid4(),
        course_code=f"BIMTEK-{level.upper()}",
        level=level,  # type: ignore[arg-type]
        certificate_number="001/2024",
        verification_code="ABC123",
        issued_at=datetime.now(UTC),
    )


async def apply_certificate(reg, volunteer_id: str, level: str = "dasar") -> None:
    state = reg.app.state.service
    async with state.runtime.sessionmaker() as session, session.begin():
        v = await session.get(Volunteer, uuid.UUID(volunteer_id))
        await lifecycle.record_certificate(
            session,
            v,
            certificate(volunteer_id, level),
            settings=reg.settings,
            now=state.clock.now(),
        )


async def test_a_passed_bimtek_dasar_activates_a_candidate(database_url):
    async with registry_http(database_url) as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        await apply_certificate(reg, vid, "dasar")
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("active", "dasar")
        [changed] = await reg.outbox_events("volunteer-status-changed")
        assert changed["old_status"] == "candidate" and changed["new_status"] == "active"
        assert changed["reason_code"] == "bimtek_dasar_passed"
        history = (await reg.get(f"/volunteers/{vid}/history", DEPOK)).json()
        assert [(h["new_status"], h["actor"]) for h in history] == [("active", "training")]


async def test_a_lanjutan_certificate_does_not_activate_anyone(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        await apply_certificate(reg, vid, "lanjutan")
        v = (await reg.get(f"/volunteers/{vid}", DEPOK)).json()
        assert (v["status"], v["training_level"]) == ("candidate", "lanjutan")


async def test_where_depok_requires_verification_activation_waits_for_the_operator(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, regencies_requiring_verification=["32.76"]) as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload(**RECOMMENDED))).json()[
            "id"
        ]
        await apply_certificate(reg, vid)
        assert (await reg.get(f"/volunteers/{vid}", DEPOK)).json()["status"] == "candidate"
        manual = await reg.post(f"/volunteers/{vid}/status", DEPOK, json={"status": "active"})
        assert manual.status_code == 409 and "belum diverifikasi" in manual.json()["detail"]
        verified = await reg.post(f"/volunteers/{vid}/verification", DEPOK)
        assert verified.status_code == 200, verified.text
        assert verified.json()["status"] == "active"
        [changed] = await reg.outbox_events("volunteer-status-changed")
        assert changed["reason_code"] == "operator_verified"


async def test_verification_needs_recommendations_and_sk(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, regencies_requiring_verification=["32.76"]) as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        r = await reg.post(f"/volunteers/{vid}/verification", DEPOK)
        assert r.status_code == 409
        assert "recommendations.village_head" in r.json()["detail"]


async def test_only_legal_transitions_are_accepted_and_each_is_recorded(database_url):
    async with registry_http(database_url) as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        early = await reg.post(f"/volunteers/{vid}/status", DEPOK, json={"status": "active"})
        assert early.status_code == 409 and "Bimtek dasar" in early.json()["detail"]
        await apply_certificate(reg, vid)
        for status, expected in (("inactive", 200), ("candidate", 409), ("resigned", 200)):
            r = await reg.post(
                f"/volunteers/{vid}/status",
                DEPOK,
                json={"status": status, "reason": "pindah kerja", "reason_code": "moved_away"},
            )
            assert r.status_code == expected, (status, r.text)
        again = await reg.post(f"/volunteers/{vid}/status", DEPOK, json={"status": "active"})
        assert again.status_code == 409
        history = (await reg.get(f"/volunteers/{vid}/history", DEPOK)).json()
        assert [h["new_status"] for h in history] == ["active", "inactive", "resigned"]
        assert history[-1]["reason"] == "pindah kerja" and history[-1]["actor"] == "op@test"
        events = await reg.outbox_events("volunteer-status-changed")
        assert [e["new_status"] for e in events] == ["active", "inactive", "resigned"]
        assert "pindah" not in str(events)


async def test_a_transfer_moves_the_domicile_and_keeps_the_history(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        r = await reg.post(
            f"/volunteers/{vid}/transfers", DEPOK, json={"village_code": "32.76.02.1007"}
        )
        assert r.status_code == 200, r.text
        assert (r.json()["village_code"], r.json()["district_code"]) == (
            "32.76.02.1007",
            "32.76.02",
        )
        [moved] = await reg.outbox_events("volunteer-transferred")
        assert moved["from_village_code"] == "32.76.01.1006"
        moves = await reg.sql("SELECT to_village_code FROM transfers")
        assert [m[0] for m in moves] == ["32.76.02.1007"]
        # the code itself cannot be edited in place
        patch = await reg.client.patch(
            f"/volunteers/{vid}", headers=reg.headers(DEPOK), json={"village_code": "32.76.03.1001"}
        )
        assert patch.status_code == 422


async def test_a_correction_publishes_the_changed_field_names_only(database_url):
    async with registry_http(database_url) as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        r = await reg.client.patch(
            f"/volunteers/{vid}",
            headers=reg.headers(DEPOK),
            json={"phone": "0813 1111 2222", "address": "Jl. Baru 2", "full_name": "Siti Aminah"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["phone"] == "+6281311112222"
        [updated] = await reg.outbox_events("volunteer-profile-updated")
        assert updated["changed_fields"] == ["address", "phone"]
        assert "1111" not in str(updated)


async def test_erasure_of_one_persons_data(database_url):
    # the export of one person's data: tests/registry/test_subject_export.py
    async with registry_http(database_url) as reg:
        body = volunteer_payload(email="siti@example.id")
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        assert (await reg.post(f"/volunteers/{vid}/erasure", DEPOK)).status_code == 204
        [row] = await reg.sql(
            "SELECT full_name, nik_hash, nik_encrypted, phone, email, address FROM volunteers"
        )
        assert row[0] == "[dihapus]" and set(row[1:]) == {None}
        [erased] = await reg.outbox_events("volunteer-erased")
        assert erased["volunteer_id"] == vid
        assert (await reg.get(f"/volunteers/{vid}", DEPOK)).status_code == 410
        assert (await reg.get("/volunteers", DEPOK)).json()["items"] == []
        # the person may register again later: the NIK hash was forgotten too
        again = await reg.post("/volunteers", DEPOK, json=body)
        assert again.status_code == 201
        actions = [a["action"] for a in (await reg.get("/audit", NATIONAL)).json()]
        assert "volunteer.erase" in set(actions)


async def test_a_nik_correction_is_revalidated_and_never_collides(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        first = volunteer_payload()
        vid = (await reg.post("/volunteers", DEPOK, json=first)).json()["id"]
        other = volunteer_payload()
        other_id = (await reg.post("/volunteers", DEPOK, json=other)).json()["id"]
        taken = await reg.client.patch(
            f"/volunteers/{vid}", headers=reg.headers(DEPOK), json={"nik": other["nik"]}
        )
        assert taken.status_code == 409 and taken.json()["existing_id"] == other_id
        wrong_sex = await reg.client.patch(
            f"/volunteers/{vid}", headers=reg.headers(DEPOK), json={"sex": "P"}
        )
        assert wrong_sex.status_code == 422 and wrong_sex.json()["errors"][0]["field"] == "sex"
        corrected = make_nik(female=True)
        r = await reg.client.patch(
            f"/volunteers/{vid}",
            headers=reg.headers(DEPOK),
            json={"nik": corrected, "sex": "P"},
        )
        assert r.status_code == 200, r.text
        full = await reg.get(f"/volunteers/{vid}", DEPOK, params={"reveal_nik": "true"})
        assert (full.json()["nik"], full.json()["sex"]) == (corrected, "P")
        [updated] = await reg.outbox_events("volunteer-profile-updated")
        assert updated["changed_fields"] == ["nik", "sex"]
        assert corrected not in str(updated)
        again = await reg.post("/volunteers", DEPOK, json={**first, "nik": corrected, "sex": "P"})
        assert again.status_code == 409
