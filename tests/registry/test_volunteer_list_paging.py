"""Registry's volunteer list pages by cursor: `after` continues after the last row of the
previous page (named in `X-Next-Cursor` and `Link: rel="next"`, both absent on the last
page), so following the cursors lists every volunteer of the region exactly once, in the
list's order, whatever the sort; the total is counted only when asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.registry.api.schemas import VolunteerSummary
from shared.clock import FrozenClock
from tests.builders import BEKASI_VILLAGE, DEPOK_VILLAGE, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, NATIONAL, Registry, registry_http

NAMES = ["Dewi", "Agus", "Citra", "Budi", "Eka", "Agus", "Fajar"]


async def _register(reg: Registry, clock: FrozenClock, count: int) -> list[str]:
    """`count` Depok volunteers; every second one at the same instant as the one before
    (ties in registered_at are ordered by id)."""
    ids = []
    for i in range(count):
        if i % 2 == 0:
            clock.advance(timedelta(minutes=1))
        body = volunteer_payload(village_code=DEPOK_VILLAGE, full_name=NAMES[i % len(NAMES)])
        r = await reg.post("/volunteers", NATIONAL, json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def _follow(reg: Registry, who: dict[str, Any], **params: Any) -> list[httpx.Response]:
    """Every page of a list, following X-Next-Cursor until it is absent."""
    pages = [await reg.get("/volunteers", who, params=params)]
    while (cursor := pages[-1].headers.get("x-next-cursor")) is not None:
        assert len(pages) < 50, "the cursors never end"
        pages.append(await reg.get("/volunteers", who, params={**params, "after": cursor}))
    return pages


def _ids(pages: list[httpx.Response]) -> list[str]:
    return [v["id"] for p in pages for v in p.json()["items"]]


async def test_following_the_cursors_lists_every_volunteer_once_in_the_lists_order(
    database_url,
):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        ids = await _register(reg, clock, 7)
        await reg.post("/volunteers", NATIONAL, json=volunteer_payload(village_code=BEKASI_VILLAGE))
        whole = (await reg.get("/volunteers", DEPOK, params={"limit": 100})).json()["items"]
        assert sorted(v["id"] for v in whole) == sorted(ids)
        for sort in ("-registered_at", "registered_at", "full_name", "-full_name"):
            pages = await _follow(reg, DEPOK, limit=3, sort=sort)
            one_page = await reg.get("/volunteers", DEPOK, params={"limit": 100, "sort": sort})
            assert _ids(pages) == [v["id"] for v in one_page.json()["items"]], sort
            assert [len(p.json()["items"]) for p in pages] == [3, 3, 1], sort
        by_name = await reg.get("/volunteers", DEPOK, params={"sort": "full_name"})
        assert [v["full_name"] for v in by_name.json()["items"]] == sorted(NAMES)


async def test_a_page_names_the_next_one_in_headers_and_the_last_page_names_none(
    database_url,
):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        await _register(reg, clock, 4)
        first = await reg.get("/volunteers", DEPOK, params={"limit": 2, "status": "candidate"})
        cursor = first.headers["x-next-cursor"]
        assert cursor == first.json()["items"][-1]["id"].replace("-", "")
        link = first.headers["link"]
        assert link.endswith('>; rel="next"')
        assert "after=" + cursor in link and "status=candidate" in link and "limit=2" in link
        second = await reg.client.get(link[1 : link.index(">")], headers=reg.headers(DEPOK))
        assert second.status_code == 200
        assert "x-next-cursor" not in second.headers and "link" not in second.headers
        assert len(second.json()["items"]) == 2


async def test_the_total_is_counted_only_when_asked_for(database_url):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        await _register(reg, clock, 3)
        plain = (await reg.get("/volunteers", DEPOK, params={"limit": 2})).json()
        assert plain["total"] is None and len(plain["items"]) == 2
        counted = (await reg.get("/volunteers", DEPOK, params={"limit": 2, "total": "true"})).json()
        assert counted["total"] == 3 and len(counted["items"]) == 2
        other = (await reg.get("/volunteers", BEKASI, params={"total": "true"})).json()
        assert other == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_a_malformed_cursor_is_refused_and_another_regions_row_ends_the_list(
    database_url,
):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        await _register(reg, clock, 1)
        bekasi = await reg.post(
            "/volunteers", NATIONAL, json=volunteer_payload(village_code=BEKASI_VILLAGE)
        )
        bekasi_cursor = bekasi.json()["id"].replace("-", "")
        r = await reg.get("/volunteers", DEPOK, params={"after": "not-a-cursor"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert any("after" in e["field"] for e in r.json()["errors"]), r.json()
        # a well-formed cursor of no row, or of a row outside the operator's region, is a
        # position the operator cannot see: an empty last page, as for an unknown id
        for cursor in ("0" * 32, bekasi_cursor):
            r = await reg.get("/volunteers", DEPOK, params={"after": cursor})
            assert r.status_code == 200 and r.json()["items"] == [], cursor
            assert "x-next-cursor" not in r.headers
        # the same cursor is the national admin's to use: the row lies in their scope
        r = await reg.get("/volunteers", NATIONAL, params={"after": bekasi_cursor})
        assert r.status_code == 200 and r.json()["items"]
        assert bekasi.json()["id"] not in {v["id"] for v in r.json()["items"]}


async def test_offsets_still_page_for_old_clients(database_url):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        await _register(reg, clock, 5)
        whole = (await reg.get("/volunteers", DEPOK, params={"limit": 100})).json()["items"]
        page = (await reg.get("/volunteers", DEPOK, params={"limit": 2, "offset": 2})).json()
        assert [v["id"] for v in page["items"]] == [v["id"] for v in whole[2:4]]
        assert page["offset"] == 2


async def test_a_listed_volunteer_reads_as_the_summary_model_would_answer_it(database_url):
    clock = FrozenClock(datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        [vid] = await _register(reg, clock, 1)
        r = await reg.get("/volunteers", DEPOK)
        [item] = r.json()["items"]
        assert VolunteerSummary.model_validate(item).model_dump(mode="json") == item
        assert item["id"] == vid and item["nik"].count("*") == 8
        assert item["status"] == "candidate" and item["training_level"] is None


async def test_every_page_of_the_list_is_audited_with_how_many_rows_it_showed(database_url):
    clock = FrozenClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    async with registry_http(database_url, clock=clock) as reg:
        await _register(reg, clock, 3)
        pages = await _follow(reg, DEPOK, limit=2)
        await reg.get("/volunteers", DEPOK, params={"total": "true"})
        rows = await reg.sql(
            "SELECT detail, role FROM audit_log WHERE action = 'volunteers.list' ORDER BY at, id"
        )
        assert len(pages) == 2
        assert sorted(d for d, _ in rows) == ["1", "2", "3 of 3"]
        assert {role for _, role in rows} == {"regency_operator"}
