"""A person's notifications records for their data-subject export: preferences, quiet hours,
the contact copy and every message addressed to them, within the operator's region only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notifications.service import delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import (
    BEKASI,
    DEPOK,
    JAYAPURA,
    consume,
    notifications_app,
    registered,
)
from tests.notifications.test_api import as_operator, client_of

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


async def test_records_hold_every_message_to_the_person_with_its_text(database_url, registry):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        vid = registry.add(DEPOK, name="Siti Aminah")
        other = registry.add(DEPOK, name="Budi Santoso")
        await consume(app, registered(vid, DEPOK))
        await consume(app, registered(other, DEPOK))
        await delivery.dispatch_once(app.state.service)
        async with client_of(app) as client:
            prefs = {"channel_order": ["email", "sms"], "opt_outs": []}
            put = await client.put(
                f"/volunteers/{vid}/preferences", json=prefs, headers=as_operator(app, "32.76")
            )
            assert put.status_code == 200, put.text
            r = await client.get(f"/volunteers/{vid}/records", headers=as_operator(app, "32.76"))
        assert r.status_code == 200, r.text
        records = r.json()
        assert records["recipient"]["volunteer_id"] == str(vid)
        assert records["channel_order"] == ["email", "sms"]
        assert records["quiet_hours"] == {
            "start_hour": 21,
            "end_hour": 6,
            "timezone": "Asia/Jakarta",
        }
        assert records["contact"]["full_name"] == "Siti Aminah"
        [welcome] = records["messages"]
        assert welcome["status"] == "sent" and welcome["channel"]
        assert "Siti Aminah" in welcome["body"]
        assert [a["outcome"] for a in welcome["attempts"]] == ["sent"]
        # only this person's messages
        assert "Budi" not in r.text and str(other) not in r.text


async def test_quiet_hours_are_those_of_the_persons_own_time_zone(tmp_path, registry):
    url = f"sqlite+aiosqlite:///{tmp_path}/n.db"
    async with notifications_app(
        url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        vid = uuid.uuid4()
        await consume(app, registered(vid, JAYAPURA))
        async with client_of(app) as client:
            r = await client.get(f"/volunteers/{vid}/records", headers=as_operator(app, "national"))
        records = r.json()
        assert records["quiet_hours"]["timezone"] == "Asia/Jayapura"
        assert (records["contact"], records["messages"] != []) == (None, True)


async def test_an_operator_of_another_regency_gets_the_404_of_an_unknown_id(database_url, registry):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        vid = uuid.uuid4()
        await consume(app, registered(vid, DEPOK))
        async with client_of(app) as client:
            bekasi = as_operator(app, BEKASI[:5])
            elsewhere = await client.get(f"/volunteers/{vid}/records", headers=bekasi)
            unknown = await client.get(f"/volunteers/{uuid.uuid4()}/records", headers=bekasi)
            mine = await client.get(f"/volunteers/{vid}/records", headers=as_operator(app, "32"))
        assert (elsewhere.status_code, unknown.status_code, mine.status_code) == (404, 404, 200)
        assert elsewhere.json()["title"] == unknown.json()["title"]
