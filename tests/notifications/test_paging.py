"""Item 14 of issue 13: the ledger and the broadcasts list page beyond 1,000 rows: `limit`
(at most 1000) and a keyset cursor `after`, newest first by time then id; the body stays a
list, the next page is named in `X-Next-Cursor` and `Link: <…>; rel="next"`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.domain.paging import Cursor
from shared.clock import FrozenClock
from tests.notifications.helpers import BEKASI, notifications_app, queue_welcome_wave
from tests.notifications.test_api import as_operator, client_of

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def walk(client, path: str, headers: dict[str, str], **params) -> list[list[dict]]:
    """Every page of a list, following X-Next-Cursor (and checking Link says the same)."""
    pages: list[list[dict]] = []
    while True:
        r = await client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        cursor = r.headers.get("x-next-cursor")
        if cursor is None:
            assert "link" not in r.headers
            return pages
        assert (
            r.headers["link"].endswith('>; rel="next"') and f"after={cursor}" in r.headers["link"]
        )
        params = {**params, "after": cursor}


async def test_paging_the_ledger_beyond_1000_rows_returns_every_row_once_newest_first(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        # two waves: 1,500 at one instant (ties broken by id), 1,000 a minute later
        await queue_welcome_wave(app, 1500, due=MORNING_WIB)
        await queue_welcome_wave(app, 1000, due=MORNING_WIB + timedelta(minutes=1))
        await queue_welcome_wave(app, 300, due=MORNING_WIB, region=BEKASI)

        pages = await walk(client, "/notifications", as_operator(app, "32.76"), limit=1000)

        assert [len(p) for p in pages] == [1000, 1000, 500]
        rows = [n for page in pages for n in page]
        assert len({n["id"] for n in rows}) == 2500
        keys = [(n["created_at"], n["id"]) for n in rows]
        assert keys == sorted(keys, reverse=True)
        assert all(n["recipient_id"] for n in rows)
        national = await walk(client, "/notifications", as_operator(app, "national"), limit=1000)
        assert sum(len(p) for p in national) == 2800  # scope still decides what is seen


async def test_a_page_is_at_most_1000_rows(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        for path in ("/notifications", "/broadcasts"):
            r = await client.get(path, params={"limit": 1001}, headers=headers)
            assert r.status_code == 422


async def test_a_malformed_cursor_is_a_422_that_does_not_echo_it(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        for path in ("/notifications", "/broadcasts"):
            for bad in ("not-a-cursor", "eyJ0IjoiMjAyNiJ9", "17.ABC", "1." + "0" * 33):
                r = await client.get(path, params={"after": bad}, headers=headers)
                assert r.status_code == 422, (path, bad, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                assert bad not in r.text


async def test_paging_the_broadcasts_list(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        for i in range(5):
            body = {"region_code": "32.76", "message": f"Rapat koordinasi nomor {i}"}
            assert (await client.post("/broadcasts", json=body, headers=headers)).status_code == 202
            clock.advance(timedelta(seconds=i % 2))  # some share an instant
        pages = await walk(client, "/broadcasts", headers, limit=2)
        assert [len(p) for p in pages] == [2, 2, 1]
        rows = [b for page in pages for b in page]
        assert sorted(b["message"] for b in rows) == [
            f"Rapat koordinasi nomor {i}" for i in range(5)
        ]
        keys = [(b["created_at"], b["id"]) for b in rows]
        assert keys == sorted(keys, reverse=True)


async def test_a_well_formed_cursor_is_a_position_in_the_order(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        await queue_welcome_wave(app, 3, due=MORNING_WIB)
        await queue_welcome_wave(app, 2, due=MORNING_WIB + timedelta(hours=1))
        headers = as_operator(app, "32.76")
        everything = (await client.get("/notifications", headers=headers)).json()
        # a cursor naming a moment between the waves (any id): the older wave follows it
        between = Cursor(at=MORNING_WIB + timedelta(minutes=30), id=uuid.UUID(int=0))
        r = await client.get("/notifications", params={"after": between.encode()}, headers=headers)
        assert r.status_code == 200
        assert [n["id"] for n in r.json()] == [n["id"] for n in everything[2:]]
