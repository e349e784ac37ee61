"""notifications's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI

from services.notifications.contacts import ContactDetails
from services.notifications.service import audience, delivery, readmodel, triggers
from shared.events import registry as reg
from shared.events import training as tr
from shared.identity import Principal, Role
from tests.contract.fuzz import FUZZ_SETTINGS, FuzzCase, FuzzTarget, fuzz_schema, serve

schema = fuzz_schema("notifications")

DEPOK = "32.76.01.1006"


async def seed_ledger(app: FastAPI) -> None:
    """Realistic rows, so that listed answers are checked against their schemas: welcome
    messages (one sent with its attempt, from a cached contact; one waiting for a retry, as
    registry is unreachable here), a waitlist message, a broadcast, and a message in the
    development outbox."""
    state = app.state.service
    now = datetime.now(UTC)
    volunteer, known, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with state.sessionmaker() as session, session.begin():
        for vid in (volunteer, known):
            registered = reg.VolunteerRegistered(
                volunteer_id=vid,
                village_code=DEPOK,
                district_code=DEPOK[:8],
                regency_code=DEPOK[:5],
                province_code=DEPOK[:2],
                region_dataset="kepmendagri-2025",
                registered_at=now,
            )
            await triggers.volunteer_registered(session, registered, event_id=uuid.uuid4(), now=now)
        contact = ContactDetails(known, "Siti Aminah", "+6281234567890", None, "32")
        await readmodel.upsert_contacts(session, [contact], now)
        waitlisted = tr.EnrolmentWaitlisted(
            enrolment_id=uuid.uuid4(),
            session_id=session_id,
            volunteer_id=volunteer,
            position=2,
            waitlisted_at=now,
        )
        await triggers.enrolment_waitlisted(session, waitlisted, event_id=uuid.uuid4(), now=now)
        admin = Principal(subject="fuzz@test", role=Role.NATIONAL_ADMIN, scope="national")
        await audience.broadcast(
            session,
            principal=admin,
            region_code="32.76",
            message="Rapat koordinasi PSM",
            status=None,
            training_level=None,
            now=now,
        )
    await delivery.dispatch_once(state)
    state.dev_messages.append(
        {
            "channel": "whatsapp",
            "provider_id": "dev-whatsapp-1",
            "notification_id": str(uuid.uuid4()),
            "template": "broadcast",
            "subject": "Pengumuman PSM",
            "body": "Rapat koordinasi PSM",
        }
    )


@pytest.fixture(scope="module")
def notifications_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve(
        "notifications", tmp_path_factory.mktemp("fuzz-notifications"), prepare=seed_ledger
    ) as target:
        yield target


@schema.parametrize()
@FUZZ_SETTINGS
def test_notifications_answers_generated_requests_within_its_contract(
    case: FuzzCase, notifications_target: FuzzTarget
) -> None:
    case.call_and_validate(
        base_url=notifications_target.base_url, headers=notifications_target.headers
    )
