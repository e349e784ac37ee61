"""Consumers on the real broker: duplicates have one effect, poison goes to the DLQ and the
partition keeps moving, failing handlers are retried a bounded number of times."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from services.training.db.tables import KnownVolunteer, inbox
from shared.events.registry import VOLUNTEERS_TOPIC, VolunteerRegistered
from tests.foundation.helpers import RawProducer, registered_event
from tests.support import eventually, header, migrate, read_topic, running, settings_for

pytestmark = pytest.mark.broker
DLQ = VOLUNTEERS_TOPIC + ".dlq"


def sample(metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return value or 0.0


async def known(runtime, volunteer_id) -> KnownVolunteer | None:
    async with runtime.read_sessionmaker() as s:
        return await s.get(KnownVolunteer, volunteer_id)


async def count(runtime, stmt) -> int:
    async with runtime.read_sessionmaker() as s:
        return int((await s.execute(stmt)).scalar_one())


@pytest.fixture
async def training_settings(broker, database_url):
    await migrate("training", database_url)
    return settings_for(
        "training", database_url=database_url, bootstrap=broker.bootstrap, consumer_max_attempts=3
    )


async def test_same_event_delivered_twice_is_applied_once(broker, training_settings):
    async with (
        running("training", training_settings) as tr,
        RawProducer(broker.bootstrap) as producer,
    ):
        rt = tr.runtime
        first = registered_event()
        envelope = await producer.send_event(first)
        await producer.send_event(first, envelope=envelope)  # the same event id again
        # A later event with the same key lands on the same partition, after the duplicate:
        # once it is applied, the duplicate has been consumed too.
        sentinel = registered_event()
        await producer.send_event(sentinel, key=first.key())
        await eventually(lambda: known(rt, sentinel.volunteer_id), message="sentinel applied")

        m = rt.metrics
        assert (
            sample(
                m,
                "psm_events_handled_total",
                consumer="training",
                event_type="volunteer-registered",
                outcome="applied",
            )
            == 2
        )
        assert (
            sample(
                m,
                "psm_inbox_duplicates_skipped_total",
                consumer="training",
                event_type="volunteer-registered",
            )
            == 1
        )
        assert await count(rt, select(func.count()).select_from(inbox)) == 2
        assert await read_topic(broker.bootstrap, DLQ, expect=1, timeout=0.5) == []


async def test_poison_message_is_dead_lettered_and_the_partition_moves_on(
    broker, training_settings
):
    async with (
        running("training", training_settings) as tr,
        RawProducer(broker.bootstrap) as producer,
    ):
        good = registered_event()
        envelope = VolunteerRegistered.event_type
        poison_body = (
            b'{"volunteer_id": "not-a-uuid", "note": "NIK 3276011705900001 HP 081234567890"'
        )
        from shared.events.envelope import Envelope

        poison_env = Envelope(event_type=envelope, source="test")
        await producer.send(
            VOLUNTEERS_TOPIC, key=good.key(), value=poison_body, headers=poison_env.to_headers()
        )
        await producer.send_event(good)  # same key → same partition, behind the poison

        await eventually(
            lambda: known(tr.runtime, good.volunteer_id), message="message after the poison applied"
        )
        letters = await read_topic(broker.bootstrap, DLQ, expect=1)
        assert len(letters) == 1
        letter = json.loads(letters[0].value)
        assert letter["reason"] == "invalid_payload"
        assert letter["consumer"] == "training"
        assert letter["envelope"]["ce_id"] == str(poison_env.event_id)
        assert letter["original"]["topic"] == VOLUNTEERS_TOPIC
        assert header(letters[0], "dlq_original_offset") == str(letter["original"]["offset"])
        raw = letters[0].value.decode() + str(letters[0].headers)
        assert "3276011705900001" not in raw and "081234567890" not in raw


async def test_failing_handler_is_retried_then_dead_lettered_without_blocking(
    broker, training_settings
):
    from services.training.main import create_app

    app = create_app(training_settings)
    consumer = app.state.runtime.consumer
    attempts: dict[str, int] = {}
    doomed = registered_event()

    @consumer.handles(VolunteerRegistered)
    async def flaky(event, ctx):
        attempts[str(event.volunteer_id)] = attempts.get(str(event.volunteer_id), 0) + 1
        if event.volunteer_id == doomed.volunteer_id:
            raise RuntimeError("database unavailable for 3276011705900001")
        ctx.session.add(
            KnownVolunteer(
                volunteer_id=event.volunteer_id,
                village_code=event.village_code,
                regency_code=event.regency_code,
                province_code=event.province_code,
                status=event.status,
                registered_at=event.registered_at,
                updated_at=event.registered_at,
            )
        )

    async with (
        running("training", training_settings, app=app) as tr,
        RawProducer(broker.bootstrap) as producer,
    ):
        after = registered_event()
        await producer.send_event(doomed)
        await producer.send_event(after, key=doomed.key())
        await eventually(
            lambda: known(tr.runtime, after.volunteer_id), message="next message applied"
        )

        # consumer_max_attempts (3) one by one, plus the batch attempt when both events
        # arrived together and the batch fell back to one-by-one application
        assert attempts[str(doomed.volunteer_id)] in (3, 4)
        assert await known(tr.runtime, doomed.volunteer_id) is None  # failed attempts left nothing
        letters = await read_topic(broker.bootstrap, DLQ, expect=1)
        letter = json.loads(letters[0].value)
        assert (letter["reason"], letter["attempts"], letter["error_type"]) == (
            "retries_exhausted",
            3,
            "RuntimeError",
        )
        assert "3276011705900001" not in letter["error"]
        m = tr.runtime.metrics
        assert (
            sample(
                m,
                "psm_event_handler_retries_total",
                consumer="training",
                event_type="volunteer-registered",
            )
            == 2
        )
        assert (
            sample(
                m,
                "psm_dead_lettered_messages_total",
                consumer="training",
                topic=VOLUNTEERS_TOPIC,
                reason="retries_exhausted",
            )
            == 1
        )


async def test_event_of_unknown_type_is_skipped_not_dead_lettered(broker, training_settings):
    from shared.events.envelope import Envelope

    async with (
        running("training", training_settings) as tr,
        RawProducer(broker.bootstrap) as producer,
    ):
        nxt = registered_event()
        await producer.send(
            VOLUNTEERS_TOPIC,
            key=nxt.key(),
            value=b"{}",
            headers=Envelope(event_type="volunteer-teleported", source="future").to_headers(),
        )
        await producer.send_event(nxt)
        await eventually(lambda: known(tr.runtime, nxt.volunteer_id))
        assert (
            sample(
                tr.runtime.metrics,
                "psm_events_handled_total",
                consumer="training",
                event_type="volunteer-teleported",
                outcome="ignored",
            )
            == 1
        )
        assert await read_topic(broker.bootstrap, DLQ, expect=1, timeout=0.5) == []
