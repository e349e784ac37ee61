"""Migration 7d2e4c1a9b58: free-text reasons become a code (`other`) and a private note."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.migrations import downgrade, upgrade
from tools.services import SERVICES

BEFORE, AFTER = "3c1f2b7e9a10", "7d2e4c1a9b58"
MIGRATIONS = SERVICES["training"].migrations_dir
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
TYPED = "Aula dipakai; hubungi Bu Siti 081234567890"

sessions = sa.table(
    "sessions",
    *(sa.column(n, sa.Uuid) for n in ("id",)),
    *(
        sa.column(n, sa.String)
        for n in (
            "course_code",
            "level",
            "title",
            "organiser_agency",
            "organiser_region_code",
            "province_code",
            "venue_name",
            "venue_village_code",
            "status",
            "created_by",
            "cancel_reason",
        )
    ),
    *(sa.column(n, sa.Date) for n in ("start_date", "end_date")),
    *(sa.column(n, sa.Integer) for n in ("capacity", "confirmed_count")),
    *(sa.column(n, sa.JSON) for n in ("quotas", "eligible_regions", "speakers", "agenda")),
    *(sa.column(n, sa.DateTime(timezone=True)) for n in ("created_at", "updated_at")),
)
certificates = sa.table(
    "certificates",
    *(sa.column(n, sa.Uuid) for n in ("id", "volunteer_id", "enrolment_id", "session_id")),
    *(
        sa.column(n, sa.String)
        for n in (
            "number",
            "verification_code",
            "course_code",
            "level",
            "regency_code",
            "province_code",
            "issuer",
            "status",
            "canonical",
            "signature",
            "key_id",
            "revoked_reason",
        )
    ),
    *(sa.column(n, sa.DateTime(timezone=True)) for n in ("issued_at", "revoked_at")),
)


def _session_row(sid: uuid.UUID, reason: str | None) -> dict[str, object]:
    return {
        "id": sid,
        "course_code": "BIMTEK-DASAR",
        "level": "dasar",
        "title": "Bimtek Dasar",
        "organiser_agency": "Dinas Sosial Kota Depok",
        "organiser_region_code": "32.76",
        "province_code": "32",
        "venue_name": "Aula Baleka",
        "venue_village_code": "32.76.01.1001",
        "status": "cancelled" if reason else "open",
        "created_by": "op",
        "cancel_reason": reason,
        "start_date": date(2026, 12, 20),
        "end_date": date(2026, 12, 21),
        "capacity": 10,
        "confirmed_count": 0,
        "quotas": {},
        "eligible_regions": [],
        "speakers": [],
        "agenda": [],
        "created_at": NOW,
        "updated_at": NOW,
    }


def _certificate_row(sid: uuid.UUID) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "volunteer_id": uuid.uuid4(),
        "enrolment_id": uuid.uuid4(),
        "session_id": sid,
        "number": "BIMTEK-DASAR/32.76/2026/000001",
        "verification_code": "ABCDEFGHJK",
        "course_code": "BIMTEK-DASAR",
        "level": "dasar",
        "regency_code": "32.76",
        "province_code": "32",
        "issuer": "Dinas Sosial Kota Depok",
        "status": "revoked",
        "canonical": "{}",
        "signature": "s",
        "key_id": "k",
        "revoked_reason": TYPED,
        "issued_at": NOW,
        "revoked_at": NOW,
    }


async def _run(database_url: str, statement: sa.Executable) -> list[sa.Row[object]]:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement)
            return list(result) if result.returns_rows else []
    finally:
        await engine.dispose()


async def test_free_text_reasons_become_the_code_other_with_the_text_as_private_note(
    database_url,
):
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, BEFORE)
    cancelled, still_open = uuid.uuid4(), uuid.uuid4()
    await _run(
        database_url,
        sa.insert(sessions).values(
            [_session_row(cancelled, TYPED), _session_row(still_open, None)]
        ),
    )
    await _run(database_url, sa.insert(certificates).values([_certificate_row(cancelled)]))

    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, AFTER)

    rows = await _run(
        database_url, sa.text("SELECT status, cancel_reason_code, cancel_note FROM sessions")
    )
    assert sorted(tuple(r) for r in rows) == [("cancelled", "other", TYPED), ("open", None, None)]
    [cert] = await _run(
        database_url, sa.text("SELECT revoked_reason_code, revoked_note FROM certificates")
    )
    assert tuple(cert) == ("other", TYPED)


@pytest.mark.parametrize(
    ("table", "column"),
    [("sessions", "cancel_reason_code"), ("certificates", "revoked_reason_code")],
)
async def test_the_database_refuses_a_reason_code_outside_the_list(database_url, table, column):
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, AFTER)
    sid = uuid.uuid4()
    row = _session_row(sid, None)
    del row["cancel_reason"]
    await _run(database_url, sa.insert(sessions).values(row))
    if table == "certificates":
        cert = _certificate_row(sid)
        del cert["revoked_reason"]
        await _run(database_url, sa.insert(certificates).values(cert))
    await _run(database_url, sa.text(f"UPDATE {table} SET {column} = 'other'"))
    with pytest.raises(IntegrityError):
        await _run(database_url, sa.text(f"UPDATE {table} SET {column} = 'gedung dipakai'"))


async def test_downgrade_gives_the_note_back_as_the_reason(database_url):
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, BEFORE)
    sid = uuid.uuid4()
    await _run(database_url, sa.insert(sessions).values([_session_row(sid, TYPED)]))
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, AFTER)
    await asyncio.to_thread(downgrade, MIGRATIONS, database_url, BEFORE)
    [row] = await _run(database_url, sa.text("SELECT cancel_reason FROM sessions"))
    assert tuple(row) == (TYPED,)


async def test_events_still_in_the_outbox_are_rewritten_to_version_2_without_the_text(
    database_url,
):
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, BEFORE)
    outbox = sa.table(
        "outbox",
        *(sa.column(n, sa.String) for n in ("topic", "key", "event_type", "source", "payload")),
        sa.column("event_id", sa.Uuid),
        sa.column("schema_version", sa.Integer),
        sa.column("attempts", sa.Integer),
        *(sa.column(n, sa.DateTime(timezone=True)) for n in ("created_at", "published_at")),
    )
    sid = str(uuid.uuid4())
    payload = json.dumps({"session_id": sid, "reason": TYPED, "cancelled_at": NOW.isoformat()})
    row = {
        "topic": "training.sessions",
        "key": sid,
        "event_type": "session-cancelled",
        "source": "training",
        "schema_version": 1,
        "attempts": 0,
        "created_at": NOW,
    }
    await _run(
        database_url,
        sa.insert(outbox).values(
            [
                {**row, "event_id": uuid.uuid4(), "payload": payload, "published_at": None},
                {**row, "event_id": uuid.uuid4(), "payload": payload, "published_at": NOW},
            ]
        ),
    )
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, AFTER)
    rows = await _run(
        database_url,
        sa.text("SELECT schema_version, payload, published_at FROM outbox ORDER BY id"),
    )
    pending, published = rows
    assert pending[0] == 2
    assert json.loads(pending[1]) == {
        "session_id": sid,
        "reason_code": "other",
        "cancelled_at": NOW.isoformat(),
    }
    assert published[0] == 1  # already on the topic: history is not rewritten
