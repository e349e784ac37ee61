"""A broadcast's preview: the number of recipients, counted like the send, nothing sent."""

from __future__ import annotations

from services.notifications.service import delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import BEKASI, DEPOK, consume, notifications_app, registered
from tests.notifications.test_api import MORNING_WIB, as_operator, client_of, make_active


async def test_a_preview_counts_the_segment_and_queues_nothing(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        await make_active(app, registry.add(DEPOK), DEPOK)
        await consume(app, registered(registry.add(DEPOK), DEPOK))
        await make_active(app, registry.add(BEKASI), BEKASI)
        body = {"region_code": "32.76", "status": "active", "message": "Rapat PSM Jumat 09.00."}

        r = await client.post("/broadcasts/preview", json=body, headers=as_operator(app, "32.76"))
        assert r.status_code == 200, r.text
        assert r.json() == {"recipients": 1}
        everyone = {"region_code": "32.76", "message": "x"}
        r = await client.post(
            "/broadcasts/preview", json=everyone, headers=as_operator(app, "32.76")
        )
        assert r.json() == {"recipients": 2}

        outside = {**body, "region_code": "32.75"}
        r = await client.post(
            "/broadcasts/preview", json=outside, headers=as_operator(app, "32.76")
        )
        assert r.status_code == 403
        await delivery.dispatch_once(app.state.service)
        sent = [m for m in app.state.service.dev_messages if m["template"] == "broadcast"]
        assert sent == []
        assert (await client.get("/broadcasts", headers=as_operator(app, "32"))).json() == []
