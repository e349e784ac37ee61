"""`make run`'s demo accounts and sample data (tools/demo.py): seeded through the services'
public APIs, idempotent (a second start adds nothing), refused in production.

registry, training and notifications run in-process on their real apps and SQLite files;
the outbox-to-consumer relay of the console tests stands in for Kafka, so training learns
registry's candidates and registry training's certificates through their real consumers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from services.notifications.main import create_app as create_notifications
from services.registry.main import create_app as create_registry
from services.training.main import create_app as create_training
from services.training.main import seed_courses
from shared.clock import SYSTEM_CLOCK
from tests.builders import operator_token, token_settings
from tests.console.bimtek_helpers import Relay
from tests.support import migrate, settings_for
from tools import demo, demo_data

TODAY = SYSTEM_CLOCK.today()  # the services read the system clock too


@dataclass
class Services:
    apps: dict[str, FastAPI]
    registry: httpx.AsyncClient
    training: httpx.AsyncClient

    async def count(self, service: str, sql: str) -> int:
        runtime = self.apps[service].state.runtime
        async with runtime.read_sessionmaker() as s:
            return int((await s.execute(text(sql))).scalar_one())

    async def counts(self) -> dict[str, int]:
        return {
            "operators": await self.count("registry", "select count(*) from operators"),
            "volunteers": await self.count("registry", "select count(*) from volunteers"),
            "sessions": await self.count("training", "select count(*) from sessions"),
            "enrolments": await self.count("training", "select count(*) from enrolments"),
            "certificates": await self.count("training", "select count(*) from certificates"),
        }

    async def seed(self, **kwargs: object) -> demo.Summary:
        return await demo.seed(
            self.registry,
            self.training,
            admin_token=operator_token(self.apps["registry"], subject="demo-seed"),
            today=TODAY,
            environ={},
            wait_s=30,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest_asyncio.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    urls = {
        n: f"sqlite+aiosqlite:///{tmp_path}/{n}.db"
        for n in ("registry", "training", "notifications")
    }
    for name, url in urls.items():
        await migrate(name, url)
    no_broker = "127.0.0.1:1"

    def settings(name: str, **extra: object) -> object:
        return settings_for(
            name, database_url=urls[name], bootstrap=no_broker, **token_settings(name), **extra
        )

    apps = {
        "registry": create_registry(settings("registry")),
        "training": create_training(settings("training")),
        "notifications": create_notifications(settings("notifications"), run_dispatcher=False),
    }
    await seed_courses(apps["training"].state.service)
    relay = Relay(apps)
    relaying = asyncio.create_task(relay.run(every_s=0.05))
    try:
        async with (
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=apps["registry"]), base_url="http://registry"
            ) as registry,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=apps["training"]), base_url="http://training"
            ) as training,
        ):
            yield Services(apps, registry, training)
    finally:
        await relay.stop(relaying)
        for app in apps.values():
            await app.state.runtime.engine.dispose()


async def test_the_demo_seeding_adds_accounts_people_and_two_bimtek_once_and_nothing_the_second_time(
    services: Services,
):
    first = await services.seed()
    after_first = await services.counts()
    assert first.accounts_created == 3
    assert first.volunteers_imported == len(demo_data.people()) == 300
    assert first.sessions_created == 2
    assert first.certificates_issued == demo.PAST_PARTICIPANTS - 4  # 2 absent, 2 failed
    assert after_first["operators"] == 3
    assert after_first["volunteers"] == 300
    assert after_first["sessions"] == 2
    assert after_first["enrolments"] == demo.PAST_PARTICIPANTS + demo.UPCOMING_PARTICIPANTS
    assert after_first["certificates"] == first.certificates_issued

    # the demo operator of Kota Depok signs in and sees both sessions in their states
    login = await services.registry.post(
        "/auth/login",
        json={"email": demo.DEPOK_OPERATOR.email, "password": demo.DEMO_PASSWORD},
    )
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    sessions = (
        await services.training.get("/sessions", headers={"Authorization": f"Bearer {token}"})
    ).json()
    by_title = {s["title"]: s for s in sessions}
    assert by_title[demo.PAST_TITLE]["status"] == "completed"
    assert date.fromisoformat(by_title[demo.PAST_TITLE]["end_date"]) < TODAY
    assert by_title[demo.UPCOMING_TITLE]["status"] == "open"
    assert date.fromisoformat(by_title[demo.UPCOMING_TITLE]["start_date"]) > TODAY

    again = await services.seed()
    assert (again.accounts_created, again.volunteers_imported, again.sessions_created) == (0, 0, 0)
    assert await services.counts() == after_first
    assert again.line().startswith("demo data present")


async def test_a_start_interrupted_half_way_is_finished_by_the_next(services: Services):
    """A start stopped after scheduling the past session (still a draft, nobody enrolled)
    leaves it to the next start, which takes it on from there instead of scheduling another."""
    seeder = demo.Seeder(
        services.registry,
        services.training,
        admin_token=operator_token(services.apps["registry"], subject="demo-seed"),
        today=TODAY,
    )
    await seeder.accounts()
    await seeder.people()
    token = await seeder.login(demo.DEPOK_OPERATOR)
    past = TODAY - timedelta(days=60)
    await seeder.create_session(token, demo.PAST_TITLE, past, 30)

    summary = await services.seed()
    assert summary.sessions_created == 1  # only the upcoming one
    counts = await services.counts()
    assert counts["sessions"] == 2
    assert counts["certificates"] == demo.PAST_PARTICIPANTS - 4
    sessions = await seeder.sessions(token)
    assert sessions[demo.PAST_TITLE]["status"] == "completed"
    assert sessions[demo.PAST_TITLE]["start_date"] == past.isoformat()


@pytest.mark.parametrize(
    "variable", ["REGISTRY_ENVIRONMENT", "CONSOLE_ENVIRONMENT", "PSM_ENVIRONMENT"]
)
async def test_the_demo_seeding_is_refused_in_production_before_any_request(variable: str):
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(answer)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://registry") as registry,
        httpx.AsyncClient(transport=transport, base_url="http://training") as training,
    ):
        with pytest.raises(demo.DemoRefused, match="development only"):
            await demo.seed(
                registry,
                training,
                admin_token="unused",
                today=TODAY,
                environ={variable: "production"},
            )
    assert requests == []


def test_make_run_skips_the_demo_with_psm_demo_0_and_in_production(monkeypatch: pytest.MonkeyPatch):
    said: list[str] = []
    monkeypatch.setenv("PSM_DEMO", "0")
    assert demo.start_in_background(None, said.append) is None  # type: ignore[arg-type]
    monkeypatch.delenv("PSM_DEMO")
    monkeypatch.setenv("TRAINING_ENVIRONMENT", "production")
    assert demo.start_in_background(None, said.append) is None  # type: ignore[arg-type]
    assert said == [
        "demo data skipped: demo accounts and sample data are for development only "
        "(TRAINING_ENVIRONMENT=production)"
    ]


def test_the_sample_people_are_valid_distinct_and_the_same_every_time():
    people = demo_data.people()
    assert len({p.nik for p in people}) == len(people) == 300
    depok = [p for p in people if p.regency == demo_data.DEPOK]
    assert len(depok) == 200
    assert len({p.village_code.rsplit(".", 1)[0] for p in depok}) == 11  # every district
    for p in people:
        day = p.birth_date.day + (40 if p.female else 0)
        assert p.nik[:6] == p.village_code.rsplit(".", 1)[0].replace(".", "")
        assert p.nik[6:12] == f"{day:02d}{p.birth_date:%m%y}"
    demo_data.people.cache_clear()
    assert demo_data.people() == people
