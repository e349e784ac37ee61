"""Contacts for a claimed batch come from registry in one call, cached before delivery.

Registry is played by the loopback fake (which counts requests) and, once, by the real
registry app on loopback (which counts through its own audit log).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlmodel import col, select

from services.notifications.contacts import RegistryContacts
from services.notifications.db.tables import Contact, Notification
from services.notifications.service import delivery, readmodel
from services.notifications.service.dispatcher import dispatch_forever
from shared.clock import FrozenClock
from shared.events import registry as reg
from shared.trust import ServiceTokens
from tests.builders import volunteer_payload
from tests.notifications.helpers import (
    CLIENT_SECRET,
    DEPOK,
    MAKASSAR,
    consume,
    notifications_app,
    registered,
    serve,
)
from tests.registry.helpers import DEPOK as DEPOK_OPERATOR
from tests.registry.helpers import NATIONAL, registry_http
from tests.support import fresh_database

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB
BATCH = "/internal/contacts"


async def statuses(app) -> dict[uuid.UUID, str]:
    async with app.state.runtime.read_sessionmaker() as s:
        return {n.recipient_id: n.status for n in (await s.execute(select(Notification))).scalars()}


async def cached(app) -> set[uuid.UUID]:
    async with app.state.runtime.read_sessionmaker() as s:
        return set((await s.execute(select(col(Contact.volunteer_id)))).scalars())


async def test_a_batch_of_welcome_messages_reads_every_contact_in_one_registry_call(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        people = {registry.add(DEPOK, name=f"Relawan {i}"): f"Relawan {i}" for i in range(8)}
        for vid in people:
            await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)

        assert registry.requests == [BATCH]
        assert sorted(registry.calls) == sorted(("contact.read", str(v)) for v in people)
        assert set((await statuses(app)).values()) == {"sent"}
        bodies = " ".join(m["body"] for m in app.state.service.dev_messages)
        assert all(name in bodies for name in people.values())
        assert await cached(app) == set(people)


async def test_cached_contacts_are_not_asked_for_again(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        known = registry.add(DEPOK)
        await consume(app, registered(known))
        await delivery.dispatch_once(app.state.service)
        assert registry.requests == [BATCH]

        newcomer = registry.add(MAKASSAR)
        active = reg.VolunteerStatusChanged(
            volunteer_id=known,
            old_status="candidate",
            new_status="active",
            province_code="32",
            regency_code="32.76",
            changed_at=clock.now(),
        )
        await consume(app, active)
        await consume(app, registered(newcomer, MAKASSAR))
        await delivery.dispatch_once(app.state.service)

        assert registry.requests == [BATCH, BATCH]
        assert registry.calls[-1] == ("contact.read", str(newcomer))
        assert len(registry.calls) == 2
        assert len(app.state.service.dev_messages) == 3


async def test_unknown_and_erased_recipients_fail_and_the_rest_of_the_batch_is_sent(
    database_url, registry
):
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        kept, erased, unknown = registry.add(DEPOK), registry.add(DEPOK), uuid.uuid4()
        registry.erased.add(erased)
        for vid in (kept, erased, unknown):
            await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)

        assert registry.requests == [BATCH]
        assert await statuses(app) == {kept: "sent", erased: "failed", unknown: "failed"}
        assert await cached(app) == {kept}
        async with app.state.runtime.read_sessionmaker() as s:
            failed = (
                await s.execute(select(Notification).where(col(Notification.status) == "failed"))
            ).scalars()
            assert {n.last_error for n in failed} == {"recipient unknown or erased at registry"}


async def test_a_volunteer_erased_while_registry_answers_is_not_cached_nor_told(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        stays, leaves = registry.add(DEPOK, name="Siti Aminah"), registry.add(DEPOK, name="Budi")
        for vid in (stays, leaves):
            await consume(app, registered(vid))

        async def erasure_arrives() -> None:
            erased = reg.VolunteerErased(volunteer_id=leaves, erased_at=clock.now())
            assert await consume(app, erased) == "applied"

        registry.during_batch = erasure_arrives
        await delivery.dispatch_once(app.state.service)

        assert registry.requests == [BATCH]
        assert await cached(app) == {stays}  # the erased person's answer was not stored
        assert await statuses(app) == {stays: "sent", leaves: "cancelled"}
        [message] = app.state.service.dev_messages
        assert "Siti Aminah" in message["body"]


async def test_a_refused_batch_makes_every_message_wait_for_a_retry(database_url, registry):
    registry.grants = frozenset()  # a service token without contacts:read
    async with notifications_app(
        database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
    ) as app:
        for _ in range(3):
            await consume(app, registered(registry.add(DEPOK)))
        await delivery.dispatch_once(app.state.service)

        async with app.state.runtime.read_sessionmaker() as s:
            notes = list((await s.execute(select(Notification))).scalars())
        assert {(n.status, n.last_error) for n in notes} == {("retry", "registry answered 403")}
        assert registry.calls == []
        assert await cached(app) == set()


async def test_more_than_five_hundred_volunteers_are_asked_for_in_chunks(registry):
    ids = [registry.add(DEPOK) for _ in range(501)]
    async with httpx.AsyncClient() as token_client:
        tokens = ServiceTokens(
            client=token_client,
            token_url=f"{registry.url}/auth/token",
            client_id="notifications",
            client_secret=CLIENT_SECRET,
        )
        client = RegistryContacts(base_url=registry.url, auth=tokens)
        try:
            batch = await client.volunteers(ids + ids[:3])
        finally:
            await client.aclose()
    assert registry.tokens_issued == 1  # one token for both requests
    assert registry.requests == [BATCH, BATCH]
    assert set(batch.found) == set(ids)
    assert (batch.unknown, batch.erased) == (set(), set())


async def test_the_real_registry_answers_a_batch_in_one_audited_request(database_url, tmp_path):
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    async with (
        fresh_database(backend, tmp_path) as registry_db,
        registry_http(registry_db) as registry,
        serve(registry.app) as registry_url,
        notifications_app(
            database_url, registry_url=registry_url, clock=FrozenClock(MORNING_WIB)
        ) as app,
    ):
        people = []
        for name in ("Siti Aminah", "Budi Santoso", "Wayan Sudarma", "Maria Tanamal"):
            body = volunteer_payload(full_name=name)
            r = await registry.post("/volunteers", DEPOK_OPERATOR, json=body)
            assert r.status_code == 201, r.text
            people.append(uuid.UUID(r.json()["id"]))
        erased = people.pop()
        await registry.post(f"/volunteers/{erased}/erasure", DEPOK_OPERATOR)
        for vid in (*people, erased):
            await consume(app, registered(vid))

        await delivery.dispatch_once(app.state.service)

        audit = (await registry.get("/audit", NATIONAL, params={"action": "contact.read"})).json()
        # every read in one request: one row per volunteer, all from the same batch of 4
        assert sorted(a["volunteer_id"] for a in audit) == sorted(str(v) for v in (*people, erased))
        assert {(a["actor"], a["detail"]) for a in audit} == {("notifications", "batch of 4")}
        assert await statuses(app) == {**dict.fromkeys(people, "sent"), erased: "failed"}
        names = " ".join(m["body"] for m in app.state.service.dev_messages)
        assert all(name in names for name in ("Siti Aminah", "Budi Santoso", "Wayan Sudarma"))


async def test_an_erasure_waiting_on_the_caching_transaction_still_removes_the_copy(
    postgres_url, registry, monkeypatch
):
    """The race inside the caching transaction: the erasure arrives after the rows were
    checked `sending` and locked, before the copy is committed (PostgreSQL row locks)."""
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(postgres_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        erasure = reg.VolunteerErased(volunteer_id=vid, erased_at=clock.now())
        store = readmodel.upsert_contacts
        erasing: list[asyncio.Task[str]] = []

        async def erasure_arrives_then_store(*args, **kwargs):  # type: ignore[no-untyped-def]
            erasing.append(asyncio.create_task(consume(app, erasure)))
            await until_a_transaction_waits_for_a_lock(app)
            await store(*args, **kwargs)

        monkeypatch.setattr(readmodel, "upsert_contacts", erasure_arrives_then_store)
        await delivery.dispatch_once(app.state.service)

        assert await erasing[0] == "applied"
        assert await cached(app) == set()
        assert await statuses(app) == {vid: "cancelled"}


async def until_a_transaction_waits_for_a_lock(app) -> None:  # type: ignore[no-untyped-def]
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    for _ in range(500):
        async with app.state.runtime.engine.connect() as conn:
            if (await conn.execute(waiting)).scalar():
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the erasure never waited for the caching transaction")


async def test_a_backlog_larger_than_a_batch_is_worked_off_without_pausing_between_batches(
    database_url, registry
):
    """After a full batch the dispatcher goes again at once; it waits its interval only when
    the last round left nothing more to do. The loop's pauses are recorded instead of slept,
    and the clock stands still, so the provider's rate limit (20/s, bursts of 20) is what it
    is on any host: 20 leave in the first batches, 5 are deferred into the future."""
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=clock,
        dispatch_batch_size=10,
        dispatch_interval_s=60.0,
        rate_limit_per_s={"whatsapp": 20.0, "sms": 10.0, "email": 20.0},
    ) as app:
        people = [registry.add(DEPOK, name=f"Relawan {i}") for i in range(25)]
        for vid in people:
            await consume(app, registered(vid))
        pauses: list[float] = []

        async def pause(seconds: float) -> None:
            pauses.append(seconds)
            if seconds > 0:  # the dispatcher would now wait its interval: the backlog is done
                raise asyncio.CancelledError

        with contextlib.suppress(asyncio.CancelledError):
            await dispatch_forever(app.state.service, pause=pause)

        assert pauses == [0, 0, 60.0]  # three batches (10, 10, 5), pauses only after the last
        after_first_pass = await statuses(app)
        assert list(after_first_pass.values()).count("sent") == 20
        assert list(after_first_pass.values()).count("deferred") == 5

        clock.advance(timedelta(seconds=1))  # the bucket refills; the deferred rows are due
        with contextlib.suppress(asyncio.CancelledError):
            await dispatch_forever(app.state.service, pause=pause)
        assert set((await statuses(app)).values()) == {"sent"}
        assert len(await statuses(app)) == 25
