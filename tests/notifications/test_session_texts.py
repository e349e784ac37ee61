"""A session's title and venue reach messages from training's internal route, not from the
public events: read with notifications' own token (audience psm-training, sessions:read),
kept as a copy until the session is rescheduled, waited for when training cannot answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from sqlmodel import select

from services.notifications.db.tables import Notification, TrainingSession
from services.notifications.service import delivery
from shared.clock import FrozenClock
from shared.events import training as tr
from shared.events.vocabulary import SessionCancelReason
from tests.notifications.helpers import (
    DEPOK,
    confirmed,
    consume,
    notifications_app,
    record_of,
    rescheduled,
    scheduled,
    serve,
)
from tests.training.helpers import open_session, training_app

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LANJUTAN = {"title": "Bimtek Lanjutan PSM Kota Depok", "venue_name": "Gedung Juang 45"}


async def notes_of(app, template: str) -> list[Notification]:
    async with app.state.runtime.read_sessionmaker() as s:
        stmt = select(Notification).where(Notification.template == template)
        return list((await s.execute(stmt)).scalars())


def cancellation(sid: uuid.UUID) -> tr.SessionCancelled:
    return tr.SessionCancelled(
        session_id=sid, reason_code=SessionCancelReason.BUDGET, cancelled_at=MORNING_WIB
    )


async def test_reminders_name_the_title_and_venue_training_serves_asking_once_per_move(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        registry.training.sessions[sid] = dict(LANJUTAN)
        people = [registry.add(DEPOK) for _ in range(3)]
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        for vid in people:
            await consume(app, confirmed(sid, vid))

        clock.set(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))  # 09:00 WIB, 3 days before
        await delivery.dispatch_once(app.state.service)
        bodies = [n.body for n in await notes_of(app, "session-reminder")]
        assert len(bodies) == 3, [n.last_error for n in await notes_of(app, "session-reminder")]
        assert all("Bimtek Lanjutan PSM Kota Depok" in b and "Gedung Juang 45" in b for b in bodies)
        assert registry.training.requests.count(sid) == 1  # the copy served the other two

        # Training moves the session to another hall: the event says so (without the name),
        # and the next message asks training again.
        registry.training.sessions[sid]["venue_name"] = "Aula Balai Kota Depok"
        await consume(app, rescheduled(sid, date(2026, 12, 12), previous=date(2026, 12, 10)))
        clock.set(datetime(2026, 12, 11, 2, 0, tzinfo=UTC))  # 1 day before the new start
        await delivery.dispatch_once(app.state.service)
        moved = [n.body for n in await notes_of(app, "session-reminder") if "1 hari" in n.body]
        assert len(moved) == 3 and all("Aula Balai Kota Depok" in b for b in moved)
        assert all("Sabtu, 12 Desember 2026" in b for b in moved)
        assert registry.training.requests.count(sid) == 2


async def test_a_cancellation_waits_for_training_rather_than_going_out_without_names(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid, vid = uuid.uuid4(), registry.add(DEPOK)
        registry.training.sessions[sid] = dict(LANJUTAN)
        await consume(app, scheduled(sid, date(2026, 12, 10)))
        await consume(app, confirmed(sid, vid))
        await consume(app, cancellation(sid))
        registry.training.down = True
        await delivery.dispatch_once(app.state.service)
        [note] = await notes_of(app, "session-cancelled")
        assert note.status == "retry" and note.last_error == "training answered 503"
        assert not [m for m in app.state.service.dev_messages if m["template"] == note.template]

        registry.training.down = False
        clock.set(note.next_attempt_at)
        await delivery.dispatch_once(app.state.service)
        [note] = await notes_of(app, "session-cancelled")
        assert note.status == "sent", note.last_error
        assert "Bimtek Lanjutan PSM Kota Depok" in note.body and "Gedung Juang 45" in note.body
        assert "Alasan: kendala anggaran" in note.body


async def test_an_old_version_session_scheduled_record_is_applied_without_its_text(
    database_url, registry
):
    """A v1 record still on the topic (title and venue typed in it) schedules the reminders;
    the read model keeps none of its text, and messages use training's names."""
    clock = FrozenClock(MORNING_WIB)
    async with notifications_app(database_url, registry_url=registry.url, clock=clock) as app:
        sid = uuid.uuid4()
        registry.training.sessions[sid] = dict(LANJUTAN)
        record = record_of(scheduled(sid, date(2026, 12, 10)))
        payload = json.loads(record.value) | {
            "title": "Bimtek, hubungi Pak Budi 081234567890",
            "organiser_agency": "Dinas Sosial Kota Depok",
            "venue_name": "Rumah Pak Budi",
        }
        record.value = json.dumps(payload).encode()
        record.headers = [(k, b"1" if k == "ce_schemaversion" else v) for k, v in record.headers]
        assert await app.state.runtime.consumer.process(record) == "applied"
        async with app.state.runtime.read_sessionmaker() as s:
            row = await s.get(TrainingSession, sid)
        assert row is not None and (row.title, row.venue_name) == ("", "")
        assert row.start_date == date(2026, 12, 10)

        vid = registry.add(DEPOK)
        await consume(app, confirmed(sid, vid))
        await consume(app, cancellation(sid))
        await delivery.dispatch_once(app.state.service)
        [note] = await notes_of(app, "session-cancelled")
        assert "Gedung Juang 45" in note.body and "Budi" not in note.body


async def test_a_cancellation_names_the_session_as_the_real_training_serves_it(
    database_url, registry, tmp_path
):
    """Against training itself: registry's token endpoint (the fake) grants sessions:read
    for audience psm-training, and training's own route answers it."""
    training_db = f"sqlite+aiosqlite:///{tmp_path / 'training.db'}"
    async with training_app(training_db) as t, serve(t.app) as training_url:
        opened = await open_session(
            t, title="Bimtek Dasar PSM Depok Angkatan 3", venue_name="Aula Balai Kota Depok"
        )
        sid = uuid.UUID(opened["id"])
        [published] = await t.events("session-scheduled")
        assert "title" not in published and "venue_name" not in published
        event = tr.SessionScheduled.model_validate(published)

        async with notifications_app(
            database_url,
            registry_url=registry.url,
            training_url=training_url,
            clock=FrozenClock(MORNING_WIB),
        ) as app:
            vid = registry.add(DEPOK)
            await consume(app, event)
            await consume(app, confirmed(sid, vid))
            await consume(app, cancellation(sid))
            await delivery.dispatch_once(app.state.service)
            [note] = await notes_of(app, "session-cancelled")
            assert note.status == "sent", note.last_error
            assert "Bimtek Dasar PSM Depok Angkatan 3" in note.body
            assert "Aula Balai Kota Depok" in note.body
