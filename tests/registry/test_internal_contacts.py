"""POST /internal/contacts: many volunteers' contacts in one audited read, for services only."""

from __future__ import annotations

import uuid
from typing import Any

from tests.builders import volunteer_payload
from tests.registry.helpers import DEPOK, NATIONAL, SERVICE, Registry, registry_http


async def register(reg: Registry, **overrides: str) -> str:
    r = await reg.post("/volunteers", DEPOK, json=volunteer_payload(**overrides))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def read_contacts(reg: Registry, ids: list[str], who: dict[str, Any] = SERVICE):
    headers = reg.headers(who, subject="notifications")
    return await reg.client.post("/internal/contacts", json={"volunteer_ids": ids}, headers=headers)


async def contact_reads(reg: Registry) -> list[tuple[str, str, str]]:
    rows = await reg.sql(
        "SELECT actor, role, volunteer_id FROM audit_log WHERE action = 'contact.read'"
    )
    return sorted((actor, role, str(uuid.UUID(str(vid)))) for actor, role, vid in rows)


async def test_a_service_reads_many_contacts_in_one_call_and_each_read_is_audited(database_url):
    async with registry_http(database_url) as reg:
        siti = await register(reg, full_name="Siti Aminah", email="siti@example.id")
        budi = await register(reg, full_name="Budi Santoso", phone="081298765432")
        r = await read_contacts(reg, [siti, budi])

        assert r.status_code == 200, r.text
        answer = r.json()
        assert (answer["unknown"], answer["erased"]) == ([], [])
        by_id = {c["volunteer_id"]: c for c in answer["contacts"]}
        assert by_id[siti] == {
            "volunteer_id": siti,
            "full_name": "Siti Aminah",
            "phone": "+6281234567890",
            "email": "siti@example.id",
            "province_code": "32",
            "regency_code": "32.76",
            "village_code": "32.76.01.1006",
            "status": "candidate",
        }
        assert (by_id[budi]["full_name"], by_id[budi]["phone"]) == (
            "Budi Santoso",
            "+6281298765432",
        )
        assert await contact_reads(reg) == sorted(
            [("notifications", "service", siti), ("notifications", "service", budi)]
        )
        audit = (await reg.get("/audit", NATIONAL, params={"action": "contact.read"})).json()
        assert {a["detail"] for a in audit} == {"batch of 2"}


async def test_unknown_and_erased_volunteers_are_reported_apart_and_their_reads_audited(
    database_url,
):
    async with registry_http(database_url) as reg:
        kept = await register(reg)
        erased = await register(reg)
        assert (await reg.post(f"/volunteers/{erased}/erasure", DEPOK)).status_code == 204
        unknown = str(uuid.uuid4())

        r = await read_contacts(reg, [unknown, erased, kept, kept])

        assert r.status_code == 200, r.text
        answer = r.json()
        assert [c["volunteer_id"] for c in answer["contacts"]] == [kept]
        assert (answer["unknown"], answer["erased"]) == ([unknown], [erased])
        assert "Siti" not in str(answer["erased"]) + str(answer["unknown"])
        # one row per volunteer asked about, a repeated id read once
        assert [vid for _, _, vid in await contact_reads(reg)] == sorted([unknown, erased, kept])


async def test_only_service_tokens_may_read_contacts_in_bulk(database_url):
    async with registry_http(database_url) as reg:
        vid = await register(reg)
        for who in (DEPOK, NATIONAL):
            r = await read_contacts(reg, [vid], who)
            assert r.status_code == 403
            assert "Siti" not in r.text
        assert await contact_reads(reg) == []


async def test_a_batch_names_between_one_and_five_hundred_volunteers(database_url):
    async with registry_http(database_url) as reg:
        for ids in ([], [str(uuid.uuid4()) for _ in range(501)]):
            r = await read_contacts(reg, ids)
            assert r.status_code == 422, r.text
            assert r.json()["errors"][0]["field"] == "volunteer_ids"
            assert "volunteer_ids" in r.json()["detail"]
        missing = await reg.client.post("/internal/contacts", json={}, headers=reg.headers(SERVICE))
        assert missing.status_code == 422
        assert await contact_reads(reg) == []  # bad input leaves no audit rows behind

        most = [str(uuid.uuid4()) for _ in range(500)]
        r = await read_contacts(reg, most)
        assert r.status_code == 200, r.text
        assert sorted(r.json()["unknown"]) == sorted(most)
        assert len(await contact_reads(reg)) == 500


async def test_a_malformed_volunteer_id_is_rejected_naming_its_position(database_url):
    async with registry_http(database_url) as reg:
        r = await read_contacts(reg, [str(uuid.uuid4()), "not-a-uuid"])
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "volunteer_ids.1"
        assert "not-a-uuid" not in r.text
