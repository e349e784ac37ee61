"""A registration flows from registry to training's read model and notifications' ledger."""

from __future__ import annotations

import pytest

from tests.builders import auth_headers, volunteer_payload
from tests.support import eventually, migrate, running, settings_for

pytestmark = pytest.mark.broker

DEPOK_VILLAGE = "32.76.01.1006"


async def test_registration_reaches_training_and_notifications(broker, database_url, tmp_path):
    urls = {}
    for name in ("registry", "training", "notifications"):
        urls[name] = (
            database_url if name == "registry" else f"sqlite+aiosqlite:///{tmp_path / name}.db"
        )
        await migrate(name, urls[name])
    s = {n: settings_for(n, database_url=urls[n], bootstrap=broker.bootstrap) for n in urls}
    async with (
        running("registry", s["registry"]) as reg,
        running("training", s["training"]) as tr,
        running("notifications", s["notifications"]) as no,
    ):
        r = await reg.client.post(
            "/volunteers",
            json=volunteer_payload(village_code=DEPOK_VILLAGE),
            headers=auth_headers(s["registry"]),
        )
        assert r.status_code == 201, r.text
        vid = r.json()["id"]

        async def in_training():
            resp = await tr.client.get(f"/volunteers/{vid}", headers=auth_headers(s["training"]))
            return resp.status_code == 200 and resp.json()

        async def in_ledger():
            resp = await no.client.get(
                "/notifications",
                params={"volunteer_id": vid},
                headers=auth_headers(s["notifications"]),
            )
            return resp.status_code == 200 and resp.json()

        known = await eventually(in_training, message="training read model")
        assert known["regency_code"] == "32.76"
        notes = await eventually(in_ledger, message="notifications ledger")
        assert [n["template"] for n in notes] == ["registration-received"]
