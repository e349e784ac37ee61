"""Agencies can replay: on the real Apache Kafka, a brand-new agency consumer group reads
every event the services ever published, because public topics are kept for ever."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import select

from shared.events.catalog import TOPICS, all_topics
from shared.kafka import DEAD_LETTER_RETENTION_MS
from tests.builders import auth_headers, volunteer_payload
from tests.support import RunningService, eventually, migrate, running, settings_for
from tools.subscriber import consume

pytestmark = pytest.mark.broker

DEPOK_VILLAGE = "32.76.01.1006"
THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
AGENCY_GROUP = "bps.replay-test"


async def outbox_rows(service: RunningService) -> list[dict[str, Any]]:
    outbox = service.runtime.outbox
    async with service.runtime.read_sessionmaker() as s:
        rows = await s.execute(select(outbox.c.event_id, outbox.c.topic, outbox.c.published_at))
        return [dict(r) for r in rows.mappings().all()]


async def all_published(*services: RunningService) -> list[dict[str, Any]] | None:
    rows = [row for service in services for row in await outbox_rows(service)]
    return rows if rows and all(r["published_at"] is not None for r in rows) else None


async def topic_configs(bootstrap: str, topics: list[str]) -> dict[str, dict[str, str]]:
    """{topic: {config name: value}} as the broker describes them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
        )
    finally:
        await admin.close()
    out: dict[str, dict[str, str]] = {}
    for response in responses:
        for error_code, error_message, _type, name, entries in response.resources:
            assert error_code == 0, f"describe {name}: {error_code} {error_message}"
            out[name] = {entry[0]: entry[1] for entry in entries}
    return out


async def test_a_new_agency_group_replays_every_published_event_and_topics_keep_them(
    broker, tmp_path
):
    urls = {n: f"sqlite+aiosqlite:///{tmp_path / n}.db" for n in ("registry", "training")}
    urls["notifications"] = f"sqlite+aiosqlite:///{tmp_path / 'notifications'}.db"
    for name, url in urls.items():
        await migrate(name, url)
    s = {n: settings_for(n, database_url=u, bootstrap=broker.bootstrap) for n, u in urls.items()}
    async with (
        running("registry", s["registry"]) as reg,
        running("training", s["training"]) as tr,
        running("notifications", s["notifications"]),
    ):
        volunteer_ids = []
        for _ in range(3):
            r = await reg.client.post(
                "/volunteers",
                json=volunteer_payload(village_code=DEPOK_VILLAGE),
                headers=auth_headers(s["registry"]),
            )
            assert r.status_code == 201, r.text
            volunteer_ids.append(r.json()["id"])
        session = await tr.client.post(
            "/sessions",
            json=session_body(),
            headers=auth_headers(s["training"]),
        )
        assert session.status_code == 201, session.text
        opened = await tr.client.post(
            f"/sessions/{session.json()['id']}/open", headers=auth_headers(s["training"])
        )
        assert opened.status_code == 200, opened.text

        async def known_to_training() -> bool:
            for vid in volunteer_ids:
                r = await tr.client.get(f"/volunteers/{vid}", headers=auth_headers(s["training"]))
                if r.status_code != 200:
                    return False
            return True

        await eventually(known_to_training, message="registry's volunteers in training")
        enrolled = await tr.client.post(
            f"/sessions/{session.json()['id']}/enrolments/bulk",
            json={"volunteer_ids": volunteer_ids},
            headers=auth_headers(s["training"]),
        )
        assert enrolled.status_code == 200, enrolled.text

        rows = await eventually(
            lambda: all_published(reg, tr), message="every outbox row acknowledged by Kafka"
        )
        published = [str(r["event_id"]) for r in rows]
        # registry's and at least two of training's public topics carry history
        assert len({r["topic"] for r in rows}) >= 3, rows

    # The services are gone; an agency that never consumed before joins its own group.
    seen: list[str] = []

    async def sink(line: dict[str, Any]) -> None:
        seen.append(line["event_id"])

    stats = await consume(
        bootstrap=broker.bootstrap,
        group=AGENCY_GROUP,
        topics=sorted(TOPICS),
        sink=sink,
        idle_timeout_s=2.0,
        session_timeout_ms=6000,
    )
    assert sorted(seen) == sorted(published), (stats, set(seen) ^ set(published))

    configs = await topic_configs(broker.bootstrap, all_topics())
    assert set(configs) == set(all_topics())
    for topic in TOPICS:
        assert configs[topic]["retention.ms"] == "-1", topic
    assert DEAD_LETTER_RETENTION_MS == THIRTY_DAYS_MS
    for topic in all_topics():
        if topic.endswith(".dlq"):
            assert configs[topic]["retention.ms"] == str(THIRTY_DAYS_MS), topic


def session_body() -> dict[str, Any]:
    """A Bimtek Dasar of Dinsos Kota Depok, open to registry's Depok volunteers."""
    return {
        "course_code": "BIMTEK-DASAR",
        "organiser_agency": "Dinas Sosial Kota Depok",
        "organiser_region_code": "32.76",
        "venue_name": "Aula Baleka lt. 10",
        "venue_village_code": DEPOK_VILLAGE,
        "start_date": "2022-11-30",
        "end_date": "2022-12-01",
        "capacity": 10,
        "speakers": [{"name": "Narasumber Kemensos", "institution": "Kementerian Sosial"}],
    }
