"""Item 15 of issue 13: a national admin can broadcast nationally (segment `national`), with
the same audit (a `broadcasts` row) and the same delivery path (ledger, channel rate limits,
bulk priority) as a regional broadcast; nobody else can."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from services.notifications.db.tables import Notification
from services.notifications.domain.enums import Priority
from services.notifications.service import delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import (
    BEKASI,
    DEPOK,
    MAKASSAR,
    consume,
    notifications_app,
    registered,
)
from tests.notifications.test_api import as_operator, client_of, make_active

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
MESSAGE = "Peringatan Hari Pekerja Sosial Nasional: terima kasih, PSM Indonesia."


async def test_a_national_admin_can_broadcast_nationally(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        people = {village: registry.add(village) for village in (DEPOK, BEKASI, MAKASSAR)}
        for village, vid in people.items():
            await make_active(app, vid, village)
        candidate = registry.add(DEPOK)
        await consume(app, registered(candidate, DEPOK))
        body = {"region_code": "national", "status": "active", "message": MESSAGE}

        r = await client.post("/broadcasts", json=body, headers=as_operator(app, "national"))

        assert r.status_code == 202, r.text
        assert r.json()["region_code"] == "national" and r.json()["recipients"] == 3
        async with app.state.runtime.sessionmaker() as session:
            rows = list(
                (
                    await session.execute(
                        select(Notification).where(Notification.template == "broadcast")
                    )
                ).scalars()
            )
        assert {n.recipient_id for n in rows} == set(people.values())
        assert {n.priority for n in rows} == {Priority.BULK}
        await delivery.dispatch_once(app.state.service)
        sent = [m for m in app.state.service.dev_messages if m["template"] == "broadcast"]
        assert [m["body"] for m in sent] == [MESSAGE] * 3
        audit = await client.get("/broadcasts", headers=as_operator(app, "national"))
        assert [(b["region_code"], b["recipients"]) for b in audit.json()] == [("national", 3)]


async def test_only_a_national_admin_may_broadcast_nationally(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        await make_active(app, registry.add(DEPOK), DEPOK)
        body = {"region_code": "national", "message": MESSAGE}
        for scope in ("32", "32.76"):
            r = await client.post("/broadcasts", json=body, headers=as_operator(app, scope))
            assert r.status_code == 403, (scope, r.text)
        assert (await client.get("/broadcasts", headers=as_operator(app, "national"))).json() == []
        async with app.state.runtime.sessionmaker() as session:
            queued = (await session.execute(select(Notification))).scalars().all()
        assert not [n for n in queued if n.template == "broadcast"]  # nothing half-written
