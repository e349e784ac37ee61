"""Published outbox rows are kept for a week and a window of them can be made pending again
(`tools.cli outbox republish`); readiness describes missing and mismatched topics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import MetaData, insert, select
from typer.testing import CliRunner

from shared.db import make_engine, make_sessionmaker
from shared.kafka import describe_topic_problems
from shared.outbox import as_utc, define_outbox, mark_for_republish, outbox_row
from shared.settings import ServiceSettings
from tests.foundation.helpers import registered_event
from tools.cli import app

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


def test_published_rows_are_kept_at_least_a_week_by_default():
    assert ServiceSettings(database_url="sqlite://").outbox_retention_hours >= 7 * 24
    with pytest.raises(ValidationError):
        ServiceSettings(database_url="sqlite://", outbox_retention_hours=0)


def test_topic_problems_name_missing_topics_first_then_partition_mismatches():
    problems = {
        "registry.volunteers": "missing",
        "training.certificates": "has 4 partitions, configured 6",
        "training.certificates.dlq": "missing",
    }
    assert describe_topic_problems(problems) == (
        "missing registry.volunteers, training.certificates.dlq; "
        "training.certificates has 4 partitions, configured 6"
    )


def test_as_utc_converts_offsets_and_takes_naive_times_as_utc():
    assert as_utc(datetime(2026, 3, 1, 9, 0, tzinfo=WIB)) == T0
    assert as_utc(datetime(2026, 3, 1, 2, 0)) == T0


async def _seed(url: str) -> None:
    """Rows acknowledged at T0-1h, T0+1h (two topics) and T0+3h, and one still pending."""
    table = define_outbox(MetaData())
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        rows = []
        for hours, topic in ((-1, "a"), (1, "a"), (1, "b"), (3, "a"), (None, "a")):
            row = {**outbox_row(registered_event(), source="registry"), "topic": topic}
            row["key"] = str(hours)
            if hours is not None:
                row |= {"published_at": T0 + timedelta(hours=hours), "attempts": 2}
            else:
                row |= {"published_at": None, "attempts": 4}
            rows.append(row)
        await conn.execute(insert(table), rows)
    await engine.dispose()


async def _state(url: str) -> dict[tuple[str, str], tuple[bool, int]]:
    table = define_outbox(MetaData())
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(table))).all()
    await engine.dispose()
    return {(r.key, r.topic): (r.published_at is not None, r.attempts) for r in rows}


async def test_republish_marks_only_rows_acknowledged_in_the_window(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    await _seed(url)
    table = define_outbox(MetaData())
    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session, session.begin():
        # The window given in WIB (UTC+7): the same instants as T0 … T0+2h in UTC.
        marked = await mark_for_republish(
            session,
            table,
            since=datetime(2026, 3, 1, 9, 0, tzinfo=WIB),
            until=datetime(2026, 3, 1, 11, 0, tzinfo=WIB),
            topic="a",
        )
    await engine.dispose()
    assert marked == 1
    assert await _state(url) == {
        ("-1", "a"): (True, 2),  # before the window
        ("1", "a"): (False, 0),  # in the window: pending again, attempts reset
        ("1", "b"): (True, 2),  # another topic
        ("3", "a"): (True, 2),  # after the window
        ("None", "a"): (False, 4),  # was pending: untouched
    }


def test_republish_command_prints_the_count_and_dry_run_changes_nothing(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}"
    asyncio.run(_seed(url))
    env = {"REGISTRY_DATABASE_URL": url}
    runner = CliRunner()
    since = ["outbox", "republish", "registry", "--since", T0.isoformat()]

    dry = runner.invoke(app, [*since, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "3 outbox rows" in dry.output and "would be marked" in dry.output
    assert sum(not published for published, _ in asyncio.run(_state(url)).values()) == 1

    done = runner.invoke(app, since, env=env)
    assert done.exit_code == 0, done.output
    assert "registry: 3 outbox rows" in done.output
    assert sum(not published for published, _ in asyncio.run(_state(url)).values()) == 4


def test_republish_command_refuses_an_unreadable_or_empty_window(tmp_path: Path):
    env = {"REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    runner = CliRunner()
    bad = runner.invoke(app, ["outbox", "republish", "registry", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2 and "not an ISO time" in bad.output
    backwards = runner.invoke(
        app,
        ["outbox", "republish", "registry", "--since", "2026-03-02", "--until", "2026-03-01"],
        env=env,
    )
    assert backwards.exit_code == 2 and "--until must be after --since" in backwards.output
