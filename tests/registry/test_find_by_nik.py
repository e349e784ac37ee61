"""Find a person by NIK (exact, through the keyed hash, region-scoped, audited), and unknown
query parameters refused on every registry route."""

from __future__ import annotations

import pytest

from tests.builders import BEKASI_VILLAGE, make_nik, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, NATIONAL, VIEWER, registry_http


async def test_a_person_is_found_by_exact_nik_with_the_nik_masked(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        await reg.post("/volunteers", DEPOK, json=volunteer_payload())  # someone else
        r = await reg.post("/volunteers/search", DEPOK, json={"nik": body["nik"]})
        assert r.status_code == 200, r.text
        [found] = r.json()["items"]
        assert found["id"] == vid
        assert body["nik"] not in r.text


async def test_a_nik_search_is_scoped_to_the_callers_region(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        await reg.post("/volunteers", DEPOK, json=body)
        other = await reg.post("/volunteers/search", BEKASI, json={"nik": body["nik"]})
        unknown = await reg.post("/volunteers/search", BEKASI, json={"nik": make_nik(serial=1)})
        assert other.status_code == unknown.status_code == 200
        assert other.json() == unknown.json() == {"items": [], "total": 0, "limit": 1, "offset": 0}
        assert (await reg.post("/volunteers/search", VIEWER, json={"nik": body["nik"]})).json()[
            "total"
        ] == 1


async def test_a_nik_search_is_audited_without_the_nik(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        await reg.post("/volunteers/search", DEPOK, json={"nik": body["nik"]})
        await reg.post("/volunteers/search", DEPOK, json={"nik": make_nik(serial=2)})
        rows = await reg.sql(
            "SELECT volunteer_id, detail FROM audit_log WHERE action = 'volunteer.search' "
            "ORDER BY at"
        )
        assert [(str(r[0]).replace("-", "") if r[0] else None, r[1]) for r in rows] == [
            (vid.replace("-", ""), "nik: 1 match"),
            (None, "nik: no match"),
        ]
        assert body["nik"] not in str(await reg.sql("SELECT * FROM audit_log"))


@pytest.mark.parametrize("query", ["?nik=3276011705900001", ""])
async def test_the_nik_is_taken_from_the_body_only(database_url, query):
    async with registry_http(database_url) as reg:
        r = await reg.post(f"/volunteers/search{query}", DEPOK, json={})
        assert r.status_code == 422
        fields = {e["field"] for e in r.json()["errors"]}
        assert ("query.nik" in fields) if query else (fields == {"nik"})
        assert "3276011705900001" not in r.text


async def test_a_malformed_nik_in_a_search_is_a_422_without_the_value(database_url):
    async with registry_http(database_url) as reg:
        r = await reg.post("/volunteers/search", DEPOK, json={"nik": "32760117059"})
        assert r.status_code == 422
        assert "32760117059" not in r.text


async def test_an_unknown_query_parameter_is_a_422_naming_it(database_url):
    async with registry_http(database_url) as reg:
        await reg.post("/volunteers", NATIONAL, json=volunteer_payload())
        await reg.post("/volunteers", NATIONAL, json=volunteer_payload(village_code=BEKASI_VILLAGE))
        r = await reg.get("/volunteers?regon=32.76&limit=5", NATIONAL)
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["query.regon"]
        assert (
            len((await reg.get("/volunteers?region=32.76&limit=5", NATIONAL)).json()["items"]) == 1
        )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/volunteers/counts?by=regency&bogus=1"),
        ("GET", "/regions?bogus=1"),
        ("GET", "/audit?bogus=1"),
        ("GET", "/operators?bogus=1"),
        ("POST", "/auth/logout?bogus=1"),
    ],
)
async def test_every_registry_route_refuses_unknown_query_parameters(database_url, method, path):
    async with registry_http(database_url) as reg:
        r = await reg.client.request(method, path, headers=reg.headers(NATIONAL))
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["query.bogus"]
