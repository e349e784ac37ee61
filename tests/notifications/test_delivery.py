"""Delivery: contacts from registry's API, channels with fallback, retries, quiet hours, erasure.

Real servers on loopback play registry, the SMS/WhatsApp gateway and SMTP; the dispatcher
is driven round by round with a clock the test moves.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest
from sqlmodel import col, select

from services.notifications.db.tables import Contact, DeliveryAttempt, Notification
from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.events import registry as reg
from tests.notifications.helpers import (
    DEPOK,
    MAKASSAR,
    consume,
    notifications_app,
    registered,
    smtp_server,
)

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 WIB


async def ledger(app) -> list[Notification]:
    async with app.state.runtime.read_sessionmaker() as s:
        return list((await s.execute(select(Notification))).scalars())


async def attempts(app, note_id) -> list[tuple[str, str]]:
    async with app.state.runtime.read_sessionmaker() as s:
        rows = (
            await s.execute(
                select(DeliveryAttempt)
                .where(col(DeliveryAttempt.notification_id) == note_id)
                .order_by(col(DeliveryAttempt.attempted_at), col(DeliveryAttempt.channel))
            )
        ).scalars()
        return [(a.channel, a.outcome) for a in rows]


def metric(app, channel: str, outcome: str) -> float:
    text = generate_latest(app.state.runtime.metrics.registry).decode()
    line = f'psm_notifications_total{{channel="{channel}",outcome="{outcome}"}}'
    values = [float(x.split()[-1]) for x in text.splitlines() if x.startswith(line)]
    return values[0] if values else 0.0


async def test_welcome_goes_by_whatsapp_with_the_name_from_registrys_internal_api(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK, name="Siti Aminah")
        assert await consume(app, registered(vid)) == "applied"
        await delivery.dispatch_once(app.state.service)

        [message] = app.state.service.dev_messages
        assert message["channel"] == "whatsapp"
        assert "Siti Aminah" in message["body"]
        assert registry.calls == [("contact.read", str(vid))]
        [note] = await ledger(app)
        assert (note.status, note.channel, note.template_version) == ("sent", "whatsapp", 2)
        assert metric(app, "whatsapp", "sent") == 1


async def test_redelivered_event_makes_no_second_message(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK)
        event, event_id = registered(vid), uuid.uuid4()
        assert await consume(app, event, event_id=event_id) == "applied"
        await delivery.dispatch_once(app.state.service)
        assert await consume(app, event, event_id=event_id) == "duplicate"
        await delivery.dispatch_once(app.state.service)
        assert len(await ledger(app)) == 1
        assert len(app.state.service.dev_messages) == 1


async def test_whatsapp_rejection_falls_back_to_sms_and_both_attempts_are_recorded(
    database_url, registry, gateway
):
    gateway.script = {"whatsapp": [400], "sms": [200]}
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=clock,
        delivery_mode="live",
        gateway_url=gateway.url,
    ) as app:
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)

        [note] = await ledger(app)
        assert (note.status, note.channel, note.provider_id) == ("sent", "sms", "gw-1")
        assert await attempts(app, note.id) == [("sms", "sent"), ("whatsapp", "permanent")]
        assert [r["channel"] for r in gateway.received] == ["whatsapp", "sms"]
        assert gateway.received[1]["to"] == "+6281234567890"


async def test_gateway_5xx_is_retried_with_backoff_until_it_works(database_url, registry, gateway):
    gateway.script = {"whatsapp": [503, 200], "sms": [502]}
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=clock,
        delivery_mode="live",
        gateway_url=gateway.url,
    ) as app:
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert note.status == "retry"
        assert note.next_attempt_at == MORNING_WIB + timedelta(seconds=60)
        assert metric(app, "sms", "retry") == 1

        clock.advance(timedelta(seconds=30))
        await delivery.dispatch_once(app.state.service)
        assert len(gateway.received) == 2  # not due yet: nothing tried

        clock.advance(timedelta(seconds=31))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert (note.status, note.channel, note.attempts) == ("sent", "whatsapp", 2)


async def test_gateway_timeout_counts_as_transient_and_sms_takes_over(
    database_url, registry, gateway
):
    gateway.script = {"whatsapp": ["hang"], "sms": [200]}
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(
        database_url,
        registry_url=registry.url,
        clock=clock,
        delivery_mode="live",
        gateway_url=gateway.url,
        gateway_timeout_s=0.3,
    ) as app:
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert (note.status, note.channel) == ("sent", "sms")
        assert ("whatsapp", "transient") in await attempts(app, note.id)


async def test_email_goes_over_smtp_and_a_refused_address_fails_permanently(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    with smtp_server() as (sink, port):
        async with notifications_app(
            database_url,
            registry_url=registry.url,
            clock=clock,
            delivery_mode="live",
            smtp_port=port,
            gateway_url="http://127.0.0.1:9",
        ) as app:
            ok = registry.add(DEPOK, phone=None, email="siti@example.id")
            bounce = registry.add(DEPOK, phone=None, email="nobody@bounce.example")
            await consume(app, registered(ok))
            await consume(app, registered(bounce))
            await delivery.dispatch_once(app.state.service)

            [(to, content)] = sink.messages
            assert to == ["siti@example.id"]
            assert "Subject: Pendaftaran PSM diterima" in content
            status = {n.recipient_id: n.status for n in await ledger(app)}
            assert status == {ok: "sent", bounce: "failed"}
            assert metric(app, "email", "failed") == 1


async def test_quiet_hours_defer_to_six_in_the_morning_of_the_recipients_zone(
    database_url, registry
):
    clock = FrozenClock(datetime(2026, 11, 23, 13, 30, tzinfo=UTC))  # 20:30 WIB, 21:30 WITA
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(MAKASSAR)
        await consume(app, registered(vid, MAKASSAR))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert note.status == "deferred"
        assert note.next_attempt_at == datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 06:00 WITA
        assert not app.state.service.dev_messages
        assert note.body.startswith("Halo Siti Aminah")  # rendered: the ledger shows what will go

        clock.set(datetime(2026, 11, 23, 22, 0, tzinfo=UTC))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert note.status == "sent"


async def test_erasure_deletes_the_contact_copy_and_blanks_the_texts(database_url, registry):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK, name="Siti Aminah")
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        erased = reg.VolunteerErased(volunteer_id=vid, erased_at=clock.now())
        assert await consume(app, erased) == "applied"

        async with app.state.runtime.read_sessionmaker() as s:
            assert await s.get(Contact, vid) is None
        [note] = await ledger(app)
        assert note.body == "" and json.loads(note.context) == {}
        assert note.status == "sent"  # the record that a message went out stays


async def test_profile_update_makes_the_next_message_read_fresh_contact_details(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        vid = registry.add(DEPOK, name="Siti Aminah")
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        registry.contacts[vid]["full_name"] = "Siti Aminah Lubis"
        updated = reg.VolunteerProfileUpdated(
            volunteer_id=vid, changed_fields=["full_name"], updated_at=clock.now()
        )
        await consume(app, updated)
        changed = reg.VolunteerStatusChanged(
            volunteer_id=vid,
            old_status="candidate",
            new_status="active",
            province_code="32",
            regency_code="32.76",
            changed_at=clock.now(),
        )
        await consume(app, changed)
        await delivery.dispatch_once(app.state.service)
        assert "Siti Aminah Lubis" in app.state.service.dev_messages[-1]["body"]
        assert len(registry.calls) == 2


async def test_erased_at_registry_fails_permanently_and_unreachable_registry_retries(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        gone = registry.add(DEPOK)
        registry.erased.add(gone)
        await consume(app, registered(gone))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert note.status == "failed"

    async with notifications_app(
        database_url, registry_url="http://127.0.0.1:9", clock=clock
    ) as app:
        await consume(app, registered(uuid.uuid4()))
        await delivery.dispatch_once(app.state.service)
        waiting = [n for n in await ledger(app) if n.recipient_id != gone]
        assert [n.status for n in waiting] == ["retry"]


async def test_registry_refuses_a_token_without_contacts_read_and_the_message_waits(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    registry.grants = frozenset()  # registry's grant table gives notifications nothing
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        await consume(app, registered(registry.add(DEPOK)))
        await delivery.dispatch_once(app.state.service)
        [note] = await ledger(app)
        assert (note.status, note.last_error) == ("retry", "registry answered 403")
        assert registry.calls == []  # refused before anything was read or audited
