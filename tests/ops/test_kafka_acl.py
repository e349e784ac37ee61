"""Security on the real broker: Apache Kafka with SASL/SCRAM-SHA-512 and the StandardAuthorizer
enforces the per-service and per-agency ACLs of deploy/kubernetes/kafka/users.yaml.

The ACLs are created from the same generator that writes users.yaml (and the file is checked
against it), so what is proven here is what Strimzi deploys. One broker serves the module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from shared.events.catalog import TOPICS, all_topics, dlq_topic
from shared.kafka import ensure_topics
from tests.builders import DEPOK_VILLAGE, auth_headers, volunteer_payload
from tests.support import eventually, migrate, running, settings_for
from tools.broker import QUICK_START_JVM, KafkaBroker, ScramUser
from tools.broker_acl import client_kwargs, create_acls, describe_acls, strimzi_acl_bindings
from tools.contracts import EXAMPLE_AGENCY, USERS_PATH, kafka_user_acls, service_runtimes
from tools.services import SERVICE_NAMES

pytestmark = pytest.mark.broker

ADMIN = ScramUser("admin", "admin-password-for-tests")
AGENCY, AGENCY_PREFIX = EXAMPLE_AGENCY
PUBLIC = sorted(TOPICS)
# a UUID: dead letters keep a record key only when it is one (no typed text in them)
SEED_KEY = b"5eed5eed-0000-4000-8000-000000000001"
TOPIC_AUTHORIZATION_FAILED = 29


@pytest.fixture(scope="module")
def acl_model() -> dict[str, list[dict[str, Any]]]:
    """{user: Strimzi ACLs}, from the generator that writes users.yaml."""
    return kafka_user_acls(service_runtimes())


@pytest.fixture(scope="module")
async def secured(acl_model) -> AsyncIterator[KafkaBroker]:
    """A SASL/SCRAM broker holding users.yaml's ACLs, every topic, and one record per
    public topic (with no envelope: consumers dead-letter it, which proves they may)."""
    users = [ADMIN, *(ScramUser(name, f"{name}-password") for name in acl_model)]
    broker = KafkaBroker(scram_users=users, jvm_options=QUICK_START_JVM)
    await asyncio.to_thread(broker.start)
    try:
        bindings = [b for user, acls in acl_model.items() for b in strimzi_acl_bindings(user, acls)]
        await create_acls(broker, bindings)
        # Every topic exists before any test runs. The services still need their own Create
        # ACL: CreateTopics answers "already exists" only to a principal allowed to create.
        admin = sasl_settings(broker, "registry", ADMIN, Path(broker.workdir or "."))
        await ensure_topics(admin, {t: admin.topic_partitions for t in all_topics(with_dlq=True)})
        producer = AIOKafkaProducer(**client_kwargs(broker), acks="all")
        await producer.start()
        try:
            for topic in PUBLIC:
                await producer.send_and_wait(topic, b"{}", key=SEED_KEY)
        finally:
            await producer.stop()
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


def user(broker: KafkaBroker, name: str) -> ScramUser:
    return next(u for u in broker.scram_users if u.name == name)


def sasl_settings(broker: KafkaBroker, service: str, principal: ScramUser, tmp: Path) -> Any:
    """A service's production settings path, pointed at the SASL listener as `principal`."""
    return settings_for(
        service,
        database_url=f"sqlite+aiosqlite:///{tmp / service}.db",
        bootstrap=broker.bootstrap,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username=principal.name,
        kafka_sasl_password=principal.password,
    )


async def try_produce(broker: KafkaBroker, principal: str, topics: list[str]) -> dict[str, str]:
    """{topic: "written" or the error's name} for one record per topic as `principal`."""
    producer = AIOKafkaProducer(**client_kwargs(broker, user(broker, principal)), acks="all")
    await producer.start()
    outcome = {}
    try:
        for topic in topics:
            try:
                await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"probe"), 15)
                outcome[topic] = "written"
            except Exception as exc:
                outcome[topic] = type(exc).__name__
    finally:
        await producer.stop()
    return outcome


async def consume(
    broker: KafkaBroker,
    principal: str,
    topics: list[str],
    *,
    group: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool] = bool,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records of `topics` read through consumer group `group` as `principal` until `until`
    holds for them; the group's offsets are then committed."""
    consumer = AIOKafkaConsumer(
        *topics,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **client_kwargs(broker, user(broker, principal)),
    )
    await consumer.start()
    try:
        records: list[ConsumerRecord[bytes, bytes]] = []

        async def enough() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            records.extend(r for part in batch.values() for r in part)
            return until(records)

        await eventually(enough, timeout=30, interval=0, message=f"records of {topics}")
        await consumer.commit()
        return records
    finally:
        await consumer.stop()


async def topics_visible_to(broker: KafkaBroker, principal: str) -> set[str]:
    admin = AIOKafkaAdminClient(**client_kwargs(broker, user(broker, principal)))
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


# --- the model ---------------------------------------------------------------------------


async def test_the_broker_holds_exactly_the_acls_of_users_yaml(secured, acl_model):
    in_file = {
        doc["metadata"]["name"]: doc["spec"]["authorization"]["acls"]
        for doc in yaml.safe_load_all(USERS_PATH.read_text())
        if doc
    }
    assert in_file == acl_model, "users.yaml is stale: run `python -m tools.contracts write`"
    expected = {b for u, acls in in_file.items() for b in strimzi_acl_bindings(u, acls)}
    assert await describe_acls(secured) == expected


# --- an agency ---------------------------------------------------------------------------


async def test_an_agency_reads_every_public_topic_with_a_group_under_its_prefix(secured):
    group = f"{AGENCY_PREFIX}acl-{uuid.uuid4().hex[:6]}"
    records = await consume(
        secured, AGENCY, PUBLIC, group=group, until=lambda rs: seeded_topics(rs) == set(PUBLIC)
    )
    assert seeded_topics(records) == set(PUBLIC)


def seeded_topics(records: list[ConsumerRecord[bytes, bytes]]) -> set[str]:
    return {r.topic for r in records if r.key == SEED_KEY}


async def test_an_agency_sees_only_the_public_topics(secured):
    assert await topics_visible_to(secured, AGENCY) == set(PUBLIC)
    everything = await topics_visible_to(secured, ADMIN.name)
    assert {dlq_topic(t) for t in PUBLIC} <= everything, "the super user sees the rest"


async def test_an_agency_cannot_write_to_any_topic(secured):
    outcome = await try_produce(secured, AGENCY, all_topics(with_dlq=True))
    assert outcome == dict.fromkeys(all_topics(with_dlq=True), "TopicAuthorizationFailedError")


@pytest.mark.parametrize(
    "topic", [dlq_topic(PUBLIC[0]), dlq_topic(PUBLIC[-1]), "__consumer_offsets"]
)
async def test_an_agency_cannot_read_dead_letter_or_internal_topics(secured, topic):
    with pytest.raises(TopicAuthorizationFailedError):
        await consume(secured, AGENCY, [topic], group=f"{AGENCY_PREFIX}forbidden")


@pytest.mark.parametrize(
    "group", ["training", "registry", AGENCY_PREFIX.rstrip("."), f"x{AGENCY_PREFIX}replay"]
)
async def test_an_agency_cannot_use_a_group_outside_its_prefix(secured, group):
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(secured, AGENCY, PUBLIC, group=group)


async def test_an_agency_cannot_create_topics(secured):
    admin = AIOKafkaAdminClient(**client_kwargs(secured, user(secured, AGENCY)))
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(f"{AGENCY_PREFIX}private", 1, 1), NewTopic(PUBLIC[0], 1, 1)]
        )
    finally:
        await admin.close()
    assert {code for _, code, _ in response.topic_errors} == {TOPIC_AUTHORIZATION_FAILED}


# --- the services ------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_a_service_writes_only_its_own_public_topics(secured, service):
    outcome = await try_produce(secured, service, PUBLIC)
    written = {t for t, result in outcome.items() if result == "written"}
    assert written == {t for t in PUBLIC if t.startswith(f"{service}.")}, outcome
    assert set(outcome.values()) <= {"written", "TopicAuthorizationFailedError"}, outcome


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_a_service_cannot_join_another_services_group(secured, acl_model, service):
    readable = [
        a["resource"]["name"]
        for a in acl_model[service]
        if a["resource"]["type"] == "topic" and "Read" in a["operations"]
    ]
    other = next(n for n in SERVICE_NAMES if n != service)
    with pytest.raises(GroupAuthorizationFailedError):
        await consume(secured, service, readable, group=other)


async def test_services_on_their_own_principals_carry_a_registration_to_training_and_notifications(
    secured, tmp_path
):
    s = {n: sasl_settings(secured, n, user(secured, n), tmp_path) for n in SERVICE_NAMES}
    for name, settings in s.items():
        await migrate(name, settings.database_url)
    async with (
        running("registry", s["registry"]) as reg,
        running("training", s["training"]) as tr,
        running("notifications", s["notifications"]) as no,
    ):
        r = await reg.client.post(
            "/volunteers",
            json=volunteer_payload(village_code=DEPOK_VILLAGE),
            headers=auth_headers(s["registry"]),
        )
        assert r.status_code == 201, r.text
        vid = r.json()["id"]

        async def in_training() -> Any:
            resp = await tr.client.get(f"/volunteers/{vid}", headers=auth_headers(s["training"]))
            return resp.status_code == 200 and resp.json()

        async def in_ledger() -> Any:
            resp = await no.client.get(
                "/notifications",
                params={"volunteer_id": vid},
                headers=auth_headers(s["notifications"]),
            )
            return resp.status_code == 200 and resp.json()

        known = await eventually(in_training, timeout=30, message="training read model")
        assert known["regency_code"] == "32.76"
        notes = await eventually(in_ledger, timeout=30, message="notifications ledger")
        assert [n["template"] for n in notes] == ["registration-received"]
        for name, service in (("registry", reg), ("training", tr), ("notifications", no)):
            ready = await service.client.get("/ready")
            assert ready.status_code == 200, (name, ready.text)

    # The seed record has no envelope: each consumer dead-lettered it under its own principal.
    def letter_writers(records: list[ConsumerRecord[bytes, bytes]]) -> set[str]:
        return {
            v.decode()
            for r in records
            if r.key == SEED_KEY
            for k, v in (r.headers or ())
            if k == "dlq_consumer"
        }

    letters = await consume(
        secured,
        ADMIN.name,
        [dlq_topic("registry.volunteers")],
        group=f"inspect-{uuid.uuid4().hex[:6]}",
        until=lambda rs: letter_writers(rs) >= {"training", "notifications"},
    )
    assert letter_writers(letters) == {"training", "notifications"}
