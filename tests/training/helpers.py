"""Helpers of training's tests: the app without a broker, volunteers in the read model,
sessions walked through their lifecycle, and the events staged in the outbox."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.training.main import create_app, seed_courses
from services.training.service import volunteers
from shared.auth import Role
from shared.clock import Clock
from shared.events.registry import VolunteerRegistered
from shared.runtime import Runtime
from tests.builders import auth_headers
from tests.support import migrate, settings_for

DEPOK = "32.76"
BEKASI = "32.75"
NATIONAL = {"role": Role.NATIONAL_ADMIN, "scope": "national"}
DEPOK_OPERATOR = {"role": Role.REGENCY_OPERATOR, "scope": DEPOK}
BEKASI_OPERATOR = {"role": Role.REGENCY_OPERATOR, "scope": BEKASI}
JABAR_OPERATOR = {"role": Role.PROVINCE_OPERATOR, "scope": "32"}


@dataclass
class Training:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    def headers(self, who: dict[str, Any] | None = None) -> dict[str, str]:
        return auth_headers(self.app, **(who or NATIONAL))

    async def post(self, url: str, body: Any = None, who: dict[str, Any] | None = None) -> Any:
        return await self.client.post(url, json=body or {}, headers=self.headers(who))

    async def put(self, url: str, body: Any, who: dict[str, Any] | None = None) -> Any:
        return await self.client.put(url, json=body, headers=self.headers(who))

    async def get(self, url: str, who: dict[str, Any] | None = None, **params: Any) -> Any:
        return await self.client.get(url, headers=self.headers(who), params=params)

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Events staged in the outbox, oldest first (payload plus 'event_type')."""
        outbox = self.runtime.outbox
        async with self.runtime.read_sessionmaker() as s:
            rows = (await s.execute(select(outbox).order_by(outbox.c.id))).mappings().all()
        return [
            {**json.loads(r["payload"]), "event_type": r["event_type"]}
            for r in rows
            if event_type is None or r["event_type"] == event_type
        ]


@contextlib.asynccontextmanager
async def training_app(
    database_url: str, *, clock: Clock | None = None, **overrides: Any
) -> AsyncIterator[Training]:
    """training on a migrated database, HTTP only: no broker, no relay (events stay staged);
    `clock` decides what time the service reads (default: the system clock)."""
    await migrate("training", database_url)
    settings = settings_for(
        "training", database_url=database_url, bootstrap="127.0.0.1:1", **overrides
    )
    app = create_app(settings, clock=clock)
    await seed_courses(app.state.service)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://training") as client:
            yield Training(app, client)
    finally:
        await app.state.runtime.engine.dispose()


def registered(
    *,
    village: str = "32.76.01.1006",
    status: str = "candidate",
    volunteer_id: uuid.UUID | None = None,
) -> VolunteerRegistered:
    parts = village.split(".")
    return VolunteerRegistered(
        volunteer_id=volunteer_id or uuid.uuid4(),
        village_code=village,
        district_code=".".join(parts[:3]),
        regency_code=".".join(parts[:2]),
        province_code=parts[0],
        region_dataset="kepmendagri-2025",
        status=status,
        registered_at=datetime.now(UTC),
    )


async def add_volunteers(
    t: Training, count: int = 1, *, village: str = "32.76.01.1006", status: str = "candidate"
) -> list[str]:
    """Volunteers in training's read model, as if registry's events had arrived."""
    ids = []
    async with t.runtime.sessionmaker() as s, s.begin():
        for _ in range(count):
            event = registered(village=village, status=status)
            await volunteers.record_volunteer(s, event, now=datetime.now(UTC))
            ids.append(str(event.volunteer_id))
    return ids


def session_body(**overrides: Any) -> dict[str, Any]:
    """Bimtek Dasar of Dinsos Kota Depok, two days (seed 001)."""
    body: dict[str, Any] = {
        "course_code": "BIMTEK-DASAR",
        "organiser_agency": "Dinas Sosial Kota Depok",
        "organiser_region_code": DEPOK,
        "venue_name": "Aula Baleka lt. 10",
        "venue_village_code": "32.76.01.1006",
        "start_date": "2022-11-30",
        "end_date": "2022-12-01",
        "capacity": 100,
        "speakers": [
            {"name": "Narasumber Dinsos Jabar", "institution": "Dinas Sosial Provinsi Jawa Barat"},
            {"name": "Narasumber Kemensos", "institution": "Kementerian Sosial"},
        ],
    }
    body.update(overrides)
    return body


async def open_session(
    t: Training, who: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    r = await t.post("/sessions", session_body(**overrides), who)
    assert r.status_code == 201, r.text
    opened = await t.post(f"/sessions/{r.json()['id']}/open", who=who)
    assert opened.status_code == 200, opened.text
    return opened.json()  # type: ignore[no-any-return]


async def enrol_all(t: Training, session_id: str, ids: list[str]) -> list[dict[str, Any]]:
    r = await t.post(f"/sessions/{session_id}/enrolments/bulk", {"volunteer_ids": ids})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def run_to_completion(
    t: Training,
    session_id: str,
    enrolment_ids: list[str],
    *,
    days: tuple[date, ...] = (date(2022, 11, 30), date(2022, 12, 1)),
    pre: float = 50,
    post: float = 80,
) -> dict[str, Any]:
    """Start, everyone present every day, tests, complete; returns the summary."""
    assert (await t.post(f"/sessions/{session_id}/start")).status_code == 200
    for day in days:
        sheet = {"marks": [{"enrolment_id": e, "status": "present"} for e in enrolment_ids]}
        r = await t.put(f"/sessions/{session_id}/attendance/{day.isoformat()}", sheet)
        assert r.status_code == 200, r.text
    scores = {
        "scores": [{"enrolment_id": e, "pre_score": pre, "post_score": post} for e in enrolment_ids]
    }
    assert (await t.put(f"/sessions/{session_id}/scores", scores)).status_code == 200
    done = await t.post(f"/sessions/{session_id}/complete")
    assert done.status_code == 200, done.text
    return done.json()  # type: ignore[no-any-return]


async def certify(t: Training, ids: list[str], **session_overrides: Any) -> dict[str, Any]:
    """Give volunteers a dasar certificate through a whole session."""
    s = await open_session(t, capacity=max(len(ids), 1), **session_overrides)
    outcomes = await enrol_all(t, s["id"], ids)
    return await run_to_completion(t, s["id"], [o["enrolment_id"] for o in outcomes])
