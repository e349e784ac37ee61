"""POST /volunteers/holder-names: names for a stated purpose (certificates, session rosters),
in scope only, audited."""

from __future__ import annotations

import uuid

from tests.builders import BEKASI_VILLAGE, make_nik, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, NATIONAL, SERVICE, Registry, registry_http


async def register(reg: Registry, name: str, *, bekasi: bool = False) -> str:
    body = (
        volunteer_payload(
            full_name=name, village_code=BEKASI_VILLAGE, nik=make_nik(region="327501")
        )
        if bekasi
        else volunteer_payload(full_name=name)
    )
    r = await reg.post("/volunteers", BEKASI if bekasi else DEPOK, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def names(reg: Registry, ids: list[str], who=DEPOK, purpose="certificate_print"):
    body = {"volunteer_ids": ids, "purpose": purpose}
    return await reg.post("/volunteers/holder-names", who, json=body)


async def test_an_operator_gets_the_names_of_volunteers_in_their_region(database_url):
    async with registry_http(database_url) as reg:
        siti = await register(reg, "Siti Aminah")
        budi = await register(reg, "Budi Santoso")
        r = await names(reg, [siti, budi])
        assert r.status_code == 200, r.text
        got = {n["volunteer_id"]: n["full_name"] for n in r.json()["names"]}
        assert got == {siti: "Siti Aminah", budi: "Budi Santoso"}


async def test_another_regions_and_unknown_volunteers_are_silently_absent(database_url):
    async with registry_http(database_url) as reg:
        depok = await register(reg, "Dewi Lestari")
        bekasi = await register(reg, "Rahmat Hidayat", bekasi=True)
        unknown = str(uuid.uuid4())
        r = await names(reg, [depok, bekasi, unknown])
        assert r.status_code == 200
        assert [n["volunteer_id"] for n in r.json()["names"]] == [depok]
        assert "Rahmat" not in r.text
        national = await names(reg, [depok, bekasi, unknown], who=NATIONAL)
        assert {n["full_name"] for n in national.json()["names"]} == {
            "Dewi Lestari",
            "Rahmat Hidayat",
        }


async def test_an_erased_volunteers_name_is_absent(database_url):
    async with registry_http(database_url) as reg:
        gone = await register(reg, "Agus Salim")
        assert (await reg.post(f"/volunteers/{gone}/erasure", DEPOK)).status_code == 204
        assert (await names(reg, [gone])).json() == {"names": []}


async def test_every_name_given_is_audited_with_the_purpose_and_never_the_name(database_url):
    async with registry_http(database_url) as reg:
        siti = await register(reg, "Siti Aminah")
        bekasi = await register(reg, "Rahmat Hidayat", bekasi=True)
        assert (await names(reg, [siti, bekasi])).status_code == 200
        rows = await reg.sql(
            "SELECT actor, volunteer_id, detail, client_address FROM audit_log "
            "WHERE detail LIKE 'names for certificate_print%'"
        )
        assert [(a, str(uuid.UUID(str(v))), d, c) for a, v, d, c in rows] == [
            ("op@test", siti, "names for certificate_print: 1 of 2 asked", "10.1.2.3")
        ]
        everything = " ".join(str(r) for r in await reg.sql("SELECT * FROM audit_log"))
        assert "Siti" not in everything and "Rahmat" not in everything


async def test_a_session_roster_reads_its_participants_names_audited_as_a_participant_list(
    database_url,
):
    async with registry_http(database_url) as reg:
        siti = await register(reg, "Siti Aminah")
        budi = await register(reg, "Budi Santoso")
        r = await names(reg, [siti, budi], purpose="participant_list")
        assert r.status_code == 200, r.text
        got = {n["volunteer_id"]: n["full_name"] for n in r.json()["names"]}
        assert got == {siti: "Siti Aminah", budi: "Budi Santoso"}
        rows = await reg.sql(
            "SELECT volunteer_id, detail FROM audit_log WHERE detail LIKE 'names for %'"
        )
        assert sorted((str(uuid.UUID(str(v))), d) for v, d in rows) == sorted(
            [
                (siti, "names for participant_list: 2 of 2 asked"),
                (budi, "names for participant_list: 2 of 2 asked"),
            ]
        )


async def test_a_call_that_finds_nobody_is_still_audited(database_url):
    async with registry_http(database_url) as reg:
        bekasi = await register(reg, "Rahmat Hidayat", bekasi=True)
        assert (await names(reg, [bekasi])).json() == {"names": []}
        rows = await reg.sql(
            "SELECT volunteer_id, detail FROM audit_log WHERE detail LIKE 'names for %'"
        )
        assert rows == [(None, "names for certificate_print: 0 of 1 asked")]


async def test_a_purpose_outside_the_closed_list_is_refused_with_422(database_url):
    async with registry_http(database_url) as reg:
        siti = await register(reg, "Siti Aminah")
        r = await names(reg, [siti], purpose="curiosity")
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "purpose"
        assert "Siti" not in r.text


async def test_more_than_500_ids_or_a_service_token_are_refused(database_url):
    async with registry_http(database_url) as reg:
        too_many = [str(uuid.uuid4()) for _ in range(501)]
        assert (await names(reg, too_many)).status_code == 422
        assert (await names(reg, [str(uuid.uuid4())], who=SERVICE)).status_code == 403
