"""An operator of Kota Depok (32.76) can neither read, list, change nor learn of a volunteer
of Kota Bekasi (32.75): 404 for the other region's ids, filtered lists, 403 for writes."""

from __future__ import annotations

from tests.builders import BEKASI_VILLAGE, DEPOK_VILLAGE, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, JABAR, NATIONAL, registry_http

OTHER_DEPOK_VILLAGE = "32.76.02.1007"


def _by_id_calls(vid: str) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/volunteers/{vid}", {}),
        ("GET", f"/volunteers/{vid}?reveal_nik=true", {}),
        ("GET", f"/volunteers/{vid}/history", {}),
        ("GET", f"/volunteers/{vid}/export", {}),
        ("PATCH", f"/volunteers/{vid}", {"json": {"address": "Jl. Lain"}}),
        ("POST", f"/volunteers/{vid}/status", {"json": {"status": "resigned"}}),
        ("POST", f"/volunteers/{vid}/verification", {}),
        ("POST", f"/volunteers/{vid}/transfers", {"json": {"village_code": OTHER_DEPOK_VILLAGE}}),
        ("POST", f"/volunteers/{vid}/erasure", {}),
    ]


async def test_operator_of_depok_cannot_read_or_change_a_bekasi_volunteer(database_url):
    async with registry_http(database_url) as reg:
        bekasi = await reg.post(
            "/volunteers", NATIONAL, json=volunteer_payload(village_code=BEKASI_VILLAGE)
        )
        vid = bekasi.json()["id"]
        for method, path, kw in _by_id_calls(vid):
            r = await reg.client.request(method, path, headers=reg.headers(DEPOK), **kw)
            assert r.status_code == 404, (method, path, r.status_code)
            assert BEKASI_VILLAGE not in r.text
        # nothing changed, nothing published besides the registration
        assert [e["type"] for e in await reg.outbox_events()] == ["volunteer-registered"]
        mine = await reg.get(f"/volunteers/{vid}", BEKASI)
        assert mine.status_code == 200 and mine.json()["status"] == "candidate"


async def test_lists_and_counts_are_filtered_to_the_operators_region(database_url):
    async with registry_http(database_url) as reg:
        for village in (DEPOK_VILLAGE, DEPOK_VILLAGE, BEKASI_VILLAGE):
            await reg.post("/volunteers", NATIONAL, json=volunteer_payload(village_code=village))
        depok = (await reg.get("/volunteers", DEPOK, params={"total": "true"})).json()
        assert depok["total"] == 2 and len(depok["items"]) == 2
        assert {v["regency_code"] for v in depok["items"]} == {"32.76"}
        asking_for_bekasi = (
            await reg.get("/volunteers", DEPOK, params={"region": "32.75", "total": "true"})
        ).json()
        assert asking_for_bekasi["total"] == 0 and asking_for_bekasi["items"] == []
        counts = (await reg.get("/volunteers/counts", DEPOK, params={"by": "regency"})).json()
        assert counts == [{"code": "32.76", "name": "Kota Depok", "count": 2}]
        province = (await reg.get("/volunteers/counts", JABAR, params={"by": "regency"})).json()
        assert {c["code"]: c["count"] for c in province} == {"32.75": 1, "32.76": 2}
        national = (
            await reg.get("/volunteers", NATIONAL, params={"region": "32", "total": "true"})
        ).json()
        assert national["total"] == 3 and len(national["items"]) == 3


async def test_transfers_and_registrations_into_another_region_are_forbidden(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        r = await reg.post(
            f"/volunteers/{vid}/transfers", DEPOK, json={"village_code": BEKASI_VILLAGE}
        )
        assert r.status_code == 403
        r = await reg.post(
            "/volunteers", DEPOK, json=volunteer_payload(village_code=BEKASI_VILLAGE)
        )
        assert r.status_code == 403
        moved = await reg.post(
            f"/volunteers/{vid}/transfers", JABAR, json={"village_code": BEKASI_VILLAGE}
        )
        assert moved.status_code == 200
        # once moved, Depok no longer sees the volunteer at all
        assert (await reg.get(f"/volunteers/{vid}", DEPOK)).status_code == 404


async def test_imports_of_another_region_are_invisible(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        csv_text = "nik,full_name,birth_date,sex,village_code\n"
        r = await reg.post("/volunteers/imports", BEKASI, content=csv_text.encode())
        assert r.status_code == 201, r.text
        iid = r.json()["id"]
        assert (await reg.get(f"/volunteers/imports/{iid}", DEPOK)).status_code == 404
        assert (await reg.get(f"/volunteers/imports/{iid}/errors.csv", DEPOK)).status_code == 404
        assert (await reg.get(f"/volunteers/imports/{iid}", BEKASI)).status_code == 200
