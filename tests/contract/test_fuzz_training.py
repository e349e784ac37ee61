"""training's HTTP contract under schemathesis: no server error, no answer outside its schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from schemathesis.config import OperationConfig

from services.training.domain.enums import AttendanceStatus, SessionStatus
from services.training.main import seed_courses
from services.training.service import completion, enrolments, sessions, volunteers
from services.training.state import TrainingState
from shared.auth import Principal, Role
from shared.events.registry import VolunteerRegistered
from tests.contract.fuzz import FUZZ_SETTINGS, FuzzCase, FuzzTarget, fuzz_schema, serve

schema = fuzz_schema("training")
# Not a false acceptance: these rules relate two fields, or a field to stored data (the end
# not before the start, the venue inside the organiser's region, the course open to that
# organiser level, a day of the session, a capacity not below the confirmed places, one of
# two filters given), which OpenAPI cannot express; a schema-valid request that breaks one is
# rightly answered 422.
schema.config.operations.operations.append(
    OperationConfig.from_dict(
        {
            "include-name": [
                "POST /sessions",
                "PATCH /sessions/{session_id}",
                "PUT /sessions/{session_id}/attendance/{day}",
                "GET /sessions/{session_id}/attendance/{day}",
                "GET /certificates",
            ],
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]
                }
            },
        }
    )
)

DEPOK_VILLAGE = "32.76.01.1006"
ADMIN = Principal(subject="fuzz@test", role=Role.NATIONAL_ADMIN, scope="national")


def _session_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "course_code": "BIMTEK-DASAR",
        "title": None,
        "organiser_agency": "Dinas Sosial Kota Depok",
        "organiser_region_code": "32.76",
        "venue_name": "Aula Baleka lt. 10",
        "venue_village_code": DEPOK_VILLAGE,
        "start_date": date(2022, 11, 30),
        "end_date": date(2022, 12, 1),
        "capacity": 1,
        "quotas": {},
        "eligible_regions": [],
        "speakers": [{"name": "Narasumber Kemensos", "institution": "Kementerian Sosial"}],
        "agenda": [],
    }
    return {**data, **overrides}


async def seed_training(app: FastAPI) -> None:
    """Realistic rows, so that ids exist and answers are checked against their schemas:
    volunteers, a draft, an open session with a place and a waitlist entry, a session in
    progress with a participant, and a completed one that issued a certificate."""
    state: TrainingState = app.state.service
    now, today = datetime.now(UTC), state.clock.today()
    await seed_courses(state)
    async with state.sessionmaker() as db, db.begin():
        people = [
            VolunteerRegistered(
                volunteer_id=uuid.uuid4(),
                village_code=DEPOK_VILLAGE,
                district_code=DEPOK_VILLAGE[:8],
                regency_code=DEPOK_VILLAGE[:5],
                province_code=DEPOK_VILLAGE[:2],
                region_dataset="kepmendagri-2025",
                registered_at=now,
            )
            for _ in range(4)
        ]
        await volunteers.record_volunteers(db, people, now=now)
        ids = [p.volunteer_id for p in people]
        await sessions.create_session(db, principal=ADMIN, data=_session_data(), now=now)
        open_id = await _opened(db, ids[:2], now=now, today=today)
        running_id = await _opened(db, ids[2:3], now=now, today=today)
        await _start(db, running_id, now=now)
        done_id = await _opened(db, ids[3:], now=now, today=today)
        await _start(db, done_id, now=now)
        await _pass_everyone(db, done_id, state, now=now)
        del open_id


async def _opened(db: Any, ids: list[uuid.UUID], *, now: datetime, today: date) -> uuid.UUID:
    row, _ = await sessions.create_session(db, principal=ADMIN, data=_session_data(), now=now)
    await sessions.move(db, principal=ADMIN, session_id=row.id, target=SessionStatus.OPEN, now=now)
    await enrolments.bulk_enrol(
        db, principal=ADMIN, session_id=row.id, volunteer_ids=ids, now=now, today=today
    )
    return row.id


async def _start(db: Any, session_id: uuid.UUID, *, now: datetime) -> None:
    await sessions.move(
        db, principal=ADMIN, session_id=session_id, target=SessionStatus.IN_PROGRESS, now=now
    )


async def _pass_everyone(
    db: Any, session_id: uuid.UUID, state: TrainingState, *, now: datetime
) -> None:
    listed = await enrolments.list_enrolments(db, principal=ADMIN, session_id=session_id)
    for day in (date(2022, 11, 30), date(2022, 12, 1)):
        await completion.record_attendance(
            db,
            principal=ADMIN,
            session_id=session_id,
            day=day,
            marks=[(e.id, AttendanceStatus.PRESENT) for e in listed],
            now=now,
        )
    await completion.record_scores(
        db,
        principal=ADMIN,
        session_id=session_id,
        scores=[(e.id, 50.0, 80.0) for e in listed],
        now=now,
    )
    await completion.complete(
        db, principal=ADMIN, session_id=session_id, signer=state.signer, now=now
    )


@pytest.fixture(scope="module")
def training_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with serve(
        "training", tmp_path_factory.mktemp("fuzz-training"), prepare=seed_training
    ) as target:
        yield target


@schema.parametrize()
@FUZZ_SETTINGS
def test_training_answers_generated_requests_within_its_contract(
    case: FuzzCase, training_target: FuzzTarget
) -> None:
    case.call_and_validate(base_url=training_target.base_url, headers=training_target.headers)
