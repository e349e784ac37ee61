"""The whole platform for field runs: registry, training and notifications in process on
the real broker, each with its own SQLite database and one shared clock the test moves.

Registry and training are also served over loopback HTTP, because notifications reaches
them only that way (contacts and its service token from registry, a session's title and
venue from training); the services otherwise talk only through Kafka.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from shared.auth import Role
from shared.clock import FrozenClock
from tests.builders import auth_headers, make_nik, volunteer_payload
from tests.notifications.helpers import serve
from tests.support import RunningService, eventually, migrate, running, settings_for

NATIONAL = {"role": Role.NATIONAL_ADMIN, "scope": "national"}


@dataclass
class Platform:
    """The three running services and the clock they all read."""

    registry: RunningService
    training: RunningService
    notifications: RunningService
    clock: FrozenClock
    _serial: int = field(default=0)

    def headers(self, who: dict[str, Any] | None = None) -> dict[str, str]:
        """An operator's token (national admin by default), minted on the shared clock."""
        return auth_headers(clock=self.clock, **(who or NATIONAL))

    async def register(
        self,
        village: str,
        *,
        who: dict[str, Any] | None = None,
        birth: date = date(1985, 4, 12),
        female: bool = False,
        nik_region: str | None = None,
        name: str = "Relawan Lapangan",
    ) -> str:
        """Register a candidate in `village` through registry's API; returns the id. The
        NIK is first registered in `nik_region` (default: the village's district)."""
        self._serial += 1
        region = nik_region or village.replace(".", "")[:6]
        body = volunteer_payload(
            nik=make_nik(region=region, birth=birth, female=female, serial=self._serial),
            full_name=name,
            birth_date=birth.isoformat(),
            sex="P" if female else "L",
            village_code=village,
            phone=f"0812{self._serial:08d}",
        )
        r = await self.registry.client.post("/volunteers", json=body, headers=self.headers(who))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def known_to_training(self, ids: list[str]) -> None:
        """Wait until training's read model holds every id (through `volunteer-registered`)."""

        async def all_known() -> bool:
            for vid in ids:
                r = await self.training.client.get(f"/volunteers/{vid}", headers=self.headers())
                if r.status_code != 200:
                    return False
            return True

        await eventually(all_known, timeout=30, message="training learnt the candidates")

    async def ledger(self, session_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """notifications' ledger rows (of a session, or filtered by `params`)."""
        query = {"limit": 1000, **params}
        if session_id is not None:
            query["session_id"] = session_id
        r = await self.notifications.client.get(
            "/notifications", params=query, headers=self.headers()
        )
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def told(self, session_id: str, template: str) -> dict[str, int]:
        """How many messages of `template` each recipient has for the session."""
        counts: dict[str, int] = {}
        for row in await self.ledger(session_id):
            if row["template"] == template:
                counts[row["recipient_id"]] = counts.get(row["recipient_id"], 0) + 1
        return counts

    async def wait_told(
        self, session_id: str, template: str, people: list[str], *, timeout: float = 30
    ) -> dict[str, int]:
        """Wait until every one of `people` has a `template` message of the session."""

        async def everyone() -> dict[str, int] | None:
            counts = await self.told(session_id, template)
            return counts if set(people) <= counts.keys() else None

        found = await eventually(everyone, timeout=timeout, message=f"{template} messages queued")
        assert found is not None
        return found

    async def registry_record(self, vid: str) -> dict[str, Any]:
        r = await self.registry.client.get(f"/volunteers/{vid}", headers=self.headers())
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def platform(bootstrap: str, tmp_path: Path, *, now: datetime) -> AsyncIterator[Platform]:
    """Registry, training and notifications on `bootstrap`, their clock frozen at `now`."""
    from services.notifications.main import create_app as notifications_app
    from services.registry.main import create_app as registry_app
    from services.training.main import create_app as training_app

    clock = FrozenClock(now)
    urls = {n: f"sqlite+aiosqlite:///{tmp_path / n}.db" for n in SERVICE_NAMES}
    for name, url in urls.items():
        await migrate(name, url)
    reg_cfg = settings_for("registry", database_url=urls["registry"], bootstrap=bootstrap)
    tr_cfg = settings_for("training", database_url=urls["training"], bootstrap=bootstrap)
    async with (
        running("registry", reg_cfg, app=registry_app(reg_cfg, clock=clock)) as reg,
        running("training", tr_cfg, app=training_app(tr_cfg, clock=clock)) as tr,
        serve(reg.app) as registry_url,
        serve(tr.app) as training_url,
    ):
        no_cfg = settings_for(
            "notifications",
            database_url=urls["notifications"],
            bootstrap=bootstrap,
            registry_url=registry_url,
            training_url=training_url,
            dispatch_interval_s=0.2,
            # the channels' token buckets refill on the service's clock, which stands still
            # here between the batch's days: a bucket as deep as the batch never runs dry
            rate_limit_per_s={"whatsapp": 1000.0, "sms": 1000.0, "email": 1000.0},
        )
        app = notifications_app(no_cfg, clock=clock)
        async with running("notifications", no_cfg, app=app) as no:
            yield Platform(registry=reg, training=tr, notifications=no, clock=clock)


SERVICE_NAMES = ("registry", "training", "notifications")


def new_id() -> str:
    return str(uuid.uuid4())
