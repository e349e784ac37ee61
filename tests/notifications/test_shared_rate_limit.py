"""Issue 15: a provider's rate limit holds for the whole service, not per replica.

Every dispatcher takes its tokens from one bucket per channel, a row of the service's
database (`rate_limits`). Proven with two real dispatcher processes draining one backlog
on the same database (one SQLite file; PostgreSQL when a server is reachable): together
they send at the configured rate, and each message exactly once.

Run as a module (`python -m tests.notifications.test_shared_rate_limit URL READY GO`), this
file is one such dispatcher process: it builds the notifications state on URL, reports
ready, waits for GO, runs the dispatcher loop until nothing is left to send and prints
the ids it sent, one a line (`sent <id>`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from services.notifications.db.tables import Contact, Notification, Recipient
from services.notifications.domain import templates
from services.notifications.main import create_app
from services.notifications.service import delivery
from services.notifications.service.dispatcher import dispatch_round
from shared.clock import FrozenClock
from shared.db import make_engine
from tests.support import migrate, settings_for

RATE = 20.0  # whatsapp messages a second, for the whole service
BACKLOG = 140
DEPOK = "32.76.01.1006"
ROOT = Path(__file__).resolve().parents[2]
MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SENT = "sent "  # a dispatcher process's output line per message it sent


def dispatcher_settings(database_url: str, **overrides: Any) -> Any:
    return settings_for(
        "notifications",
        database_url=database_url,
        bootstrap="127.0.0.1:1",
        registry_url="http://127.0.0.1:1",  # contacts are cached: registry is never asked
        training_url="http://127.0.0.1:1",
        rate_limit_per_s={"whatsapp": RATE, "sms": RATE, "email": RATE},
        quiet_start_hour=24,  # never quiet, whatever the hour the test runs at
        quiet_end_hour=0,
        **overrides,
    )


async def queue_backlog(database_url: str, count: int, *, due: datetime) -> None:
    """`count` welcome messages due at `due`, their recipients' contacts cached here."""
    spec = templates.get(templates.REGISTRATION_RECEIVED)
    people = [uuid.uuid4() for _ in range(count)]
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(Contact.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "volunteer_id": v,
                        "full_name": f"Relawan {i}",
                        "phone": f"+62812{i:08d}",
                        "email": None,
                        "province_code": "32",
                        "fetched_at": due,
                    }
                    for i, v in enumerate(people)
                ],
            )
            await conn.execute(
                insert(Recipient.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "volunteer_id": v,
                        "village_code": DEPOK,
                        "regency_code": DEPOK[:5],
                        "province_code": "32",
                        "status": "candidate",
                        "updated_at": due,
                    }
                    for v in people
                ],
            )
            await conn.execute(
                insert(Notification.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "id": uuid.uuid4(),
                        "trigger_event_id": uuid.uuid4(),
                        "recipient_id": v,
                        "recipient_kind": "volunteer",
                        "template": spec.name,
                        "template_version": spec.version,
                        "category": spec.category,
                        "priority": int(spec.priority),
                        "channel": "",
                        "status": "pending",
                        "body": "",
                        "context": "{}",
                        "region_code": DEPOK,
                        "created_at": due,
                        "next_attempt_at": due,
                        "attempts": 0,
                        "resent_count": 0,
                    }
                    for v in people
                ],
            )
    finally:
        await engine.dispose()


async def ledger_after(database_url: str) -> tuple[dict[str, int], list[datetime], dict[str, int]]:
    """Rows by status, the sent rows' sent_at (sorted), sent attempts per notification."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            statuses: dict[str, int] = dict(
                (
                    await conn.execute(
                        text("SELECT status, count(*) FROM notifications GROUP BY status")
                    )
                ).all()
            )
            sent_at = sorted(
                (
                    await conn.execute(
                        Notification.__table__.select()  # type: ignore[attr-defined]
                        .with_only_columns(Notification.__table__.c.sent_at)  # type: ignore[attr-defined]
                        .where(Notification.__table__.c.status == "sent")  # type: ignore[attr-defined]
                    )
                ).scalars()
            )
            attempts: dict[str, int] = dict(
                (
                    await conn.execute(
                        text(
                            "SELECT CAST(notification_id AS VARCHAR(40)), count(*) "
                            "FROM delivery_attempts WHERE outcome = 'sent' "
                            "GROUP BY notification_id"
                        )
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    return statuses, sent_at, attempts


def wait_for_files(paths: list[Path], procs: list[Any]) -> None:
    """Until every file of `paths` exists (a process that ended early fails the wait)."""
    while not all(p.exists() for p in paths):
        assert all(p.returncode is None for p in procs), "a dispatcher process ended early"
        time.sleep(0.05)


def wait_for_file(path: Path) -> None:
    """Until `path` exists (the start signal)."""
    while not path.exists():
        time.sleep(0.01)


def busiest(times: list[datetime], window_s: float) -> int:
    """The most sends within any `window_s` seconds."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while (at - times[start]).total_seconds() > window_s:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_two_dispatcher_processes_together_send_at_the_providers_rate_each_message_once(
    database_url: str, tmp_path: Path
) -> None:
    await migrate("notifications", database_url)
    await queue_backlog(database_url, BACKLOG, due=datetime.now(UTC) - timedelta(minutes=1))
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(2)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    module = "tests.notifications.test_shared_rate_limit"
    procs = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", module, database_url, str(r), str(go)),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for r in ready
    ]
    try:
        # both processes up (imports done) before either starts: they drain the backlog together
        await asyncio.wait_for(asyncio.to_thread(wait_for_files, ready, procs), 120)
        await asyncio.to_thread(go.touch)
        outputs = [
            tuple(part.decode() for part in await asyncio.wait_for(p.communicate(), 120))
            for p in procs
        ]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err[-3000:]
    sent_by = [
        [line.removeprefix(SENT) for line in out.splitlines() if line.startswith(SENT)]
        for out, _ in outputs
    ]
    statuses, sent_at, attempts = await ledger_after(database_url)

    # each message exactly once: sent by one process only, one sent attempt in the ledger
    everything = sent_by[0] + sent_by[1]
    assert len(everything) == BACKLOG and len(set(everything)) == BACKLOG
    assert all(sent_by), [len(s) for s in sent_by]  # both processes took part
    assert statuses == {"sent": BACKLOG}
    assert len(attempts) == BACKLOG and set(attempts.values()) == {1}

    # together at the provider's rate: a full bucket (1 s of the rate) at the start, then
    # RATE a second; alone, each process would have allowed as much again
    burst = RATE
    reserve = 2 * max(1, RATE * 0.25)  # tokens a dispatcher may hold ahead, per process
    elapsed = (sent_at[-1] - sent_at[0]).total_seconds()
    print(
        f"\n{BACKLOG} messages by two processes in {elapsed:.2f} s "
        f"({(BACKLOG - burst) / max(elapsed, 1e-9):.1f}/s after the first burst; limit {RATE:g}/s); "
        f"split {[len(s) for s in sent_by]}; busiest 2 s: {busiest(sent_at, 2.0)}"
    )
    assert elapsed >= (BACKLOG - burst - reserve) / RATE
    for window in (1.0, 2.0, 3.0):
        assert busiest(sent_at, window) <= burst + RATE * window + reserve


async def test_a_second_replica_finds_the_bucket_the_first_one_emptied(database_url: str) -> None:
    """In process, on a frozen clock: two states (two replicas) on one database share the
    bucket; the second's messages are deferred, spread over the coming seconds, and leave
    once the clock has moved on."""
    clock = FrozenClock(MORNING_WIB)
    await migrate("notifications", database_url)
    await queue_backlog(database_url, 30, due=MORNING_WIB - timedelta(minutes=1))
    settings = dispatcher_settings(database_url, dispatch_batch_size=20)
    apps = [create_app(settings, clock=clock, run_dispatcher=False) for _ in range(2)]
    try:
        first, second = (app.state.service for app in apps)
        await delivery.deliver_due(first, clock.now())  # 20 due: the whole bucket (20/s, 1 s)
        await delivery.deliver_due(second, clock.now())  # the other 10: none left for them
        statuses, _, _ = await ledger_after(database_url)
        assert statuses == {"sent": 20, "deferred": 10}
        assert len(first.dev_messages) == 20 and len(second.dev_messages) == 0

        clock.advance(timedelta(seconds=1))  # one second of the rate: 20 tokens again
        await delivery.deliver_due(second, clock.now())
        statuses, _, _ = await ledger_after(database_url)
        assert statuses == {"sent": 30}
    finally:
        for app in apps:
            await app.state.runtime.engine.dispose()


async def test_unspent_tokens_go_back_to_the_shared_bucket(database_url: str) -> None:
    """A round takes a few tokens at a time; what it did not spend is returned, so another
    replica can send it in the same second."""
    clock = FrozenClock(MORNING_WIB)
    await migrate("notifications", database_url)
    await queue_backlog(database_url, 3, due=MORNING_WIB - timedelta(minutes=1))
    settings = dispatcher_settings(database_url, rate_limit_reserve_s=1.0)
    app = create_app(settings, clock=clock, run_dispatcher=False)
    try:
        await delivery.deliver_due(app.state.service, clock.now())
        engine = app.state.runtime.engine
        async with engine.connect() as conn:
            left = (
                await conn.execute(
                    text("SELECT tokens FROM rate_limits WHERE channel = 'whatsapp'")
                )
            ).scalar_one()
        assert left == RATE - 3
    finally:
        await app.state.runtime.engine.dispose()


async def _run_dispatcher(database_url: str) -> list[str]:
    """The dispatcher loop's rounds (`dispatch_round`, paused as `dispatch_forever` pauses)
    until the ledger holds nothing unsent; stopped between rounds, never cancelled mid-round."""
    settings = dispatcher_settings(database_url, dispatch_interval_s=0.05)
    app = create_app(settings, run_dispatcher=False)
    state = app.state.service
    engine = app.state.runtime.engine
    unsent = text("SELECT count(*) FROM notifications WHERE status <> 'sent'")
    try:
        while True:
            full = await dispatch_round(state)
            async with engine.connect() as conn:
                if (await conn.execute(unsent)).scalar_one() == 0:
                    break
            await asyncio.sleep(0 if full else settings.dispatch_interval_s)
    finally:
        await engine.dispose()
    return [m["notification_id"] for m in state.dev_messages]


if __name__ == "__main__":
    url, ready_file, go_file = sys.argv[1:4]
    Path(ready_file).touch()
    wait_for_file(Path(go_file))
    sent = asyncio.run(_run_dispatcher(url))
    print("\n".join(SENT + note for note in sent))
