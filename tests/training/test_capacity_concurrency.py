"""Capacity under concurrency, on PostgreSQL (row locks are what is being tested)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from services.training.db.tables import TrainingSession
from tests.training.helpers import DEPOK_OPERATOR, add_volunteers, open_session, training_app


async def test_two_operators_enrolling_the_last_seat_at_once_exactly_one_wins(postgres_url):
    async with training_app(postgres_url) as t:
        ids = await add_volunteers(t, 3)
        s = await open_session(t, capacity=2)
        first = await t.post(f"/sessions/{s['id']}/enrolments", {"volunteer_id": ids[0]})
        assert first.json()["outcome"] == "confirmed"

        results = await asyncio.gather(
            t.post(f"/sessions/{s['id']}/enrolments", {"volunteer_id": ids[1]}),
            t.post(f"/sessions/{s['id']}/enrolments", {"volunteer_id": ids[2]}, DEPOK_OPERATOR),
        )
        outcomes = sorted(r.json()["outcome"] for r in results)
        assert outcomes == ["confirmed", "waitlisted"]
        async with t.runtime.read_sessionmaker() as db:
            row = (await db.execute(select(TrainingSession))).scalar_one()
        assert row.confirmed_count == 2


async def test_many_concurrent_enrolments_never_overfill_and_queue_in_distinct_positions(
    postgres_url,
):
    async with training_app(postgres_url) as t:
        ids = await add_volunteers(t, 8)
        s = await open_session(t, capacity=1)
        results = await asyncio.gather(
            *(t.post(f"/sessions/{s['id']}/enrolments", {"volunteer_id": v}) for v in ids)
        )
        bodies = [r.json() for r in results]
        assert sum(b["outcome"] == "confirmed" for b in bodies) == 1
        positions = sorted(b["position"] for b in bodies if b["outcome"] == "waitlisted")
        assert positions == list(range(1, 8))
        listed = (await t.get(f"/sessions/{s['id']}/enrolments")).json()
        assert sum(e["status"] == "confirmed" for e in listed) == 1
