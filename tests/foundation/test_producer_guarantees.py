"""The outbox and relay on the real broker: nothing is lost when Kafka or the relay is down."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from services.registry.db.tables import outbox
from shared.events.registry import VOLUNTEERS_TOPIC
from tests.builders import auth_headers, volunteer_payload
from tests.support import eventually, header, migrate, read_topic, running, settings_for

pytestmark = [pytest.mark.broker, pytest.mark.fault]


async def pending_rows(runtime):
    async with runtime.read_sessionmaker() as s:
        return (await s.execute(select(outbox).where(outbox.c.published_at.is_(None)))).all()


async def test_registration_while_broker_is_down_answers_201_and_publishes_when_it_returns(
    broker, database_url
):
    await migrate("registry", database_url)
    settings = settings_for("registry", database_url=database_url, bootstrap=broker.bootstrap)
    async with running("registry", settings) as reg:
        broker.pause()
        try:
            started = time.monotonic()
            r = await reg.client.post(
                "/volunteers", json=volunteer_payload(), headers=auth_headers(settings)
            )
            answered_in = time.monotonic() - started
            assert r.status_code == 201, r.text
            volunteer_id = r.json()["id"]

            async def failed_attempt_recorded():
                rows = await pending_rows(reg.runtime)
                return rows and rows[0].attempts >= 1 and rows

            rows = await eventually(
                failed_attempt_recorded, timeout=20, message="relay tried and failed"
            )
            assert rows[0].last_error  # the failure is recorded on the row, for operators
        finally:
            broker.resume()

        records = await read_topic(
            broker.bootstrap, VOLUNTEERS_TOPIC, expect=1, timeout=30, settle=1.0
        )
        assert records, "the event never arrived after the broker came back"
        assert {r.key.decode() for r in records} == {volunteer_id}
        # at-least-once: a late acknowledgement may add a copy, but never another event
        assert {header(r, "ce_id") for r in records} == {str(rows[0].event_id)}
        await eventually(lambda: _all_published(reg.runtime), message="outbox row marked published")
    assert answered_in < 5, f"the API waited on the broker ({answered_in:.1f}s)"


async def _all_published(runtime) -> bool:
    return not await pending_rows(runtime)


async def test_late_committed_row_with_lower_id_is_still_published(broker, database_url):
    """No 'last published id' cursor: a row that commits after higher ids were published is found."""
    from shared.outbox import outbox_row
    from tests.foundation.helpers import registered_event

    await migrate("registry", database_url)
    settings = settings_for("registry", database_url=database_url, bootstrap=broker.bootstrap)
    async with running("registry", settings) as reg:
        rt = reg.runtime
        early, late = registered_event(), registered_event()
        async with rt.sessionmaker() as s, s.begin():
            await s.execute(outbox.insert(), [{**outbox_row(early, source="registry"), "id": 10}])
        async with rt.sessionmaker() as s, s.begin():
            await s.execute(outbox.insert(), [{**outbox_row(late, source="registry"), "id": 5}])
        records = await read_topic(broker.bootstrap, VOLUNTEERS_TOPIC, expect=2, timeout=20)
        assert {r.key.decode() for r in records} == {
            str(early.volunteer_id),
            str(late.volunteer_id),
        }
