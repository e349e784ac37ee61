"""The internal contact/operators API for services, operators, regions, metrics, settings."""

from __future__ import annotations

from services.registry.service.metrics import BusinessMetrics
from tests.builders import BEKASI_VILLAGE, volunteer_payload
from tests.registry.helpers import DEPOK, NATIONAL, SERVICE, registry_http

PASSWORD = "kuda-lumping-7-gamelan"


async def test_a_service_reads_a_volunteers_contact_and_the_read_is_audited(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload(email="siti@example.id")
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        r = await reg.client.get(
            f"/internal/volunteers/{vid}/contact",
            headers=reg.headers(SERVICE, subject="notifications"),
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "volunteer_id": vid,
            "full_name": "Siti Aminah",
            "phone": "+6281234567890",
            "email": "siti@example.id",
            "province_code": "32",
            "regency_code": "32.76",
            "village_code": "32.76.01.1006",
            "status": "candidate",
        }
        audit = (await reg.get("/audit", NATIONAL, params={"action": "contact.read"})).json()
        assert [(a["actor"], a["volunteer_id"]) for a in audit] == [("notifications", vid)]
        await reg.post(f"/volunteers/{vid}/erasure", DEPOK)
        gone = await reg.get(f"/internal/volunteers/{vid}/contact", SERVICE)
        assert gone.status_code == 410


async def test_only_services_may_call_the_internal_api(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        for who in (DEPOK, NATIONAL):
            r = await reg.get(f"/internal/volunteers/{vid}/contact", who)
            assert r.status_code == 403
            assert (await reg.get("/internal/operators?region=32.76", who)).status_code == 403
        unknown = await reg.get(
            "/internal/volunteers/00000000-0000-0000-0000-000000000000/contact", SERVICE
        )
        assert unknown.status_code == 404
        # and service tokens cannot use the operators' endpoints
        assert (await reg.get(f"/volunteers/{vid}", SERVICE)).status_code == 403


async def test_operators_of_a_region_are_those_whose_scope_contains_it(database_url):
    async with registry_http(database_url) as reg:
        for email, role, scope in (
            ("pusat@kemensos.go.id", "national_admin", "national"),
            ("jabar@dinsos.go.id", "province_operator", "32"),
            ("depok@dinsos.go.id", "regency_operator", "32.76"),
            ("bekasi@dinsos.go.id", "regency_operator", "32.75"),
        ):
            body = {"email": email, "role": role, "scope": scope, "password": PASSWORD}
            r = await reg.post("/operators", NATIONAL, json=body)
            assert r.status_code == 201, r.text
        bad = await reg.post(
            "/operators",
            NATIONAL,
            json={
                "email": "x@y.id",
                "role": "regency_operator",
                "scope": "32",
                "password": PASSWORD,
            },
        )
        assert bad.status_code == 422
        r = await reg.get("/internal/operators", SERVICE, params={"region": "32.76"})
        assert sorted(o["email"] for o in r.json()) == [
            "depok@dinsos.go.id",
            "jabar@dinsos.go.id",
            "pusat@kemensos.go.id",
        ]
        assert set(r.json()[0]) == {"operator_id", "email", "role", "scope"}
        audit = (await reg.get("/audit", NATIONAL, params={"action": "operators.read"})).json()
        assert len(audit) == 1
        assert (await reg.post("/operators", DEPOK, json={})).status_code == 403


async def test_regions_list_names_and_time_zones(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        provinces = (await reg.client.get("/regions")).json()
        assert len(provinces) == 38
        by_code = {p["code"]: p for p in provinces}
        assert by_code["32"]["timezone_label"] == "WIB"
        assert by_code["52"]["timezone_label"] == "WITA"
        assert by_code["91"]["timezone_label"] == "WIT"
        depok = (await reg.client.get("/regions/32.76")).json()
        assert (depok["name"], depok["level"], len(depok["children"])) == (
            "Kota Depok",
            "regency",
            11,
        )
        village = (await reg.client.get("/regions/32.76.01.1006")).json()
        assert (village["name"], village["children"]) == ("Depok", [])
        assert (await reg.client.get("/regions/32.99")).status_code == 404


async def test_business_gauges_count_volunteers_by_province_and_status(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, regencies_requiring_verification=["32.76"]) as reg:
        for village in ("32.76.01.1006", "32.76.01.1006", BEKASI_VILLAGE):
            await reg.post("/volunteers", NATIONAL, json=volunteer_payload(village_code=village))
        runtime = reg.app.state.runtime
        metrics: BusinessMetrics = reg.app.state.service.business_metrics
        async with runtime.read_sessionmaker() as session:
            await metrics.refresh(session, reg.settings)
        text = (await reg.client.get("/metrics")).text
        assert 'psm_volunteers{province="32",status="candidate"} 3.0' in text
        assert 'psm_candidates_awaiting_verification{province="32"} 2.0' in text
        gauges = [line for line in text.splitlines() if line.startswith("psm_volunteers{")]
        assert all("village" not in line for line in gauges)
