"""2: steady registrations over HTTP; latency from the HTTP response to the event being
applied in training and in notifications (DB timestamps of the rows, same machine clock)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import BenchStack, as_utc, as_uuid, auth, count, percentile, readonly
from tests.builders import make_nik, volunteer_payload


def unique_payload(i: int) -> dict[str, Any]:
    """A valid registration with a NIK no other index produces (birth date varies too)."""
    birth = date(1970, 1, 1) + timedelta(days=i // 9000)
    nik = make_nik(birth=birth, serial=i % 9000 + 1)
    return volunteer_payload(nik=nik, birth_date=birth.isoformat())


def _applied(stack: BenchStack) -> tuple[dict[Any, datetime], dict[Any, datetime]]:
    with readonly(stack.db("training")) as conn:
        training = {
            as_uuid(v): as_utc(t)
            for v, t in conn.execute("SELECT volunteer_id, updated_at FROM known_volunteers")
        }
    with readonly(stack.db("notifications")) as conn:
        notes = {
            as_uuid(v): as_utc(t)
            for v, t in conn.execute(
                "SELECT recipient_id, min(created_at) FROM notifications GROUP BY recipient_id"
            )
        }
    return training, notes


def _summary(values: list[float]) -> dict[str, Any]:
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50_ms": _r(percentile(ms, 50)),
        "p95_ms": _r(percentile(ms, 95)),
        "p99_ms": _r(percentile(ms, 99)),
        "max_ms": _r(max(ms) if ms else None),
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


async def latency(
    workdir: Path, *, rate: float = 50, seconds: float = 60, drain_timeout: float = 120
) -> dict[str, Any]:
    stack = BenchStack(workdir / "stack")
    with stack:
        await asyncio.to_thread(stack.start)
        headers = auth()
        url = stack.url("registry") + "/volunteers"
        sent: list[tuple[Any, datetime, float]] = []
        errors: list[int] = []
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def one(i: int) -> None:
                t0 = time.monotonic()
                r = await client.post(url, json=unique_payload(i), headers=headers)
                responded = datetime.now(UTC)
                if r.status_code == 201:
                    sent.append((as_uuid(r.json()["id"]), responded, time.monotonic() - t0))
                else:
                    errors.append(r.status_code)

            for i in range(20):  # warm-up: connections, consumers joined
                await one(1_000_000 + i)
            warm = {v for v, _, _ in sent}
            sent.clear()
            for _ in range(300):  # up to 60 s for the warm-up to reach notifications
                held = count(stack.db("notifications"), "SELECT count(*) FROM notifications")
                if held >= len(warm):
                    break
                await asyncio.sleep(0.2)

            total = int(rate * seconds)
            started = time.monotonic()
            tasks = []
            for i in range(total):  # open loop: a request every 1/rate s whatever the replies
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(i)))
            await asyncio.gather(*tasks)
            send_s = time.monotonic() - started

        ids = {v for v, _, _ in sent}
        for _ in range(int(drain_timeout / 0.5)):  # wait for the stragglers
            training, notes = await asyncio.to_thread(_applied, stack)
            if ids <= training.keys() and ids <= notes.keys():
                break
            await asyncio.sleep(0.5)
    to_training = [(training[v] - t).total_seconds() for v, t, _ in sent if v in training]
    to_notes = [(notes[v] - t).total_seconds() for v, t, _ in sent if v in notes]
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "requests": total,
        "achieved_rate_per_s": round(total / send_s, 1),
        "errors": len(errors),
        "http": _summary([h for _, _, h in sent]),
        "to_training": _summary(to_training),
        "to_notifications": _summary(to_notes),
        "missing_in_training": len(ids - training.keys()),
        "missing_in_notifications": len(ids - notes.keys()),
    }
