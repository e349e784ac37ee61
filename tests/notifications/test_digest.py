"""The operators' daily digest: candidates waiting per regency, once a day, by email."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.service import audience, delivery
from shared.clock import FrozenClock
from tests.notifications.helpers import (
    BEKASI,
    DEPOK,
    consume,
    notifications_app,
    registered,
    smtp_server,
)

SEVEN_THIRTY_WIB = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


async def test_daily_digest_tells_each_operator_the_candidates_waiting_in_their_scope(
    database_url, registry
):
    registry.operators = [
        {
            "operator_id": str(uuid.uuid4()),
            "email": "depok@dinsos.example.id",
            "role": "regency_operator",
            "scope": "32.76",
        },
        {
            "operator_id": str(uuid.uuid4()),
            "email": "jabar@dinsos.example.id",
            "role": "province_operator",
            "scope": "32",
        },
    ]
    clock = FrozenClock(SEVEN_THIRTY_WIB - timedelta(hours=1))
    with smtp_server() as (sink, port):
        async with notifications_app(
            database_url,
            registry_url=registry.url,
            clock=clock,
            delivery_mode="live",
            smtp_port=port,
            gateway_url="http://127.0.0.1:9",
        ) as app:
            for village in (DEPOK, DEPOK, BEKASI):
                await consume(app, registered(registry.add(village), village))
            state = app.state.service
            assert (
                await audience.run_digest_if_due(state, now=clock.now()) == 0
            )  # 06:30 WIB: too early

            clock.set(SEVEN_THIRTY_WIB)
            assert await audience.run_digest_if_due(state, now=clock.now()) == 2
            assert await audience.run_digest_if_due(state, now=clock.now()) == 0  # once a day
            await delivery.dispatch_once(state)

            mails = {to[0]: body for to, body in sink.messages}
            assert set(mails) == {"depok@dinsos.example.id", "jabar@dinsos.example.id"}
            assert (
                "2 calon PSM menunggu verifikasi di Kota Depok (32.76)"
                in mails["depok@dinsos.example.id"]
            )
            assert "Kota Bekasi" not in mails["depok@dinsos.example.id"]
            assert (
                "1 calon PSM menunggu verifikasi di Kota Bekasi (32.75)"
                in mails["jabar@dinsos.example.id"]
            )
            assert ("operators.read", "32.76") in registry.calls
