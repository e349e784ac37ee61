"""A data-subject export covers the whole platform: registry's record, and what training and
notifications hold about the person (read with the operator's own token), as JSON and as a
readable document in Indonesian — all or nothing, and only within the operator's region.

The platform tests run the three services with their real lifespans on a real broker, each
also served over HTTP on a loopback port (registry reaches the other two there, and
notifications reaches registry's contacts and training's session texts)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from services.training.service import volunteers as training_volunteers
from shared.events.registry import VolunteerRegistered
from tests.builders import BEKASI_VILLAGE, auth_headers, volunteer_payload
from tests.registry.helpers import BEKASI, DEPOK, NATIONAL, registry_http
from tests.support import RunningService, eventually, migrate, running, settings_for
from tests.training.helpers import enrol_all, open_session, training_app
from tools.broker import free_port

SERVICES = ("registry", "training", "notifications")


@contextlib.asynccontextmanager
async def serve_on(app: FastAPI, port: int) -> AsyncIterator[uvicorn.Server]:
    """Serve an app (its lifespan run by the caller) with uvicorn on a loopback port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


@dataclass
class Platform:
    services: dict[str, RunningService]
    servers: dict[str, uvicorn.Server]

    def headers(self, who: dict[str, Any]) -> dict[str, str]:
        return auth_headers(self.services["registry"].app, subject="op@test", **who)

    async def get(self, service: str, path: str, who: dict[str, Any], **kw: Any) -> Any:
        headers = {**self.headers(who), **kw.pop("headers", {})}
        return await self.services[service].client.get(path, headers=headers, **kw)


@contextlib.asynccontextmanager
async def platform(broker: Any, tmp_path: Any) -> AsyncIterator[Platform]:
    """The three services on `broker`, each served on its own loopback port."""
    ports = {name: free_port() for name in SERVICES}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    links = {
        "registry": {"training_url": url["training"], "notifications_url": url["notifications"]},
        "training": {},
        "notifications": {"registry_url": url["registry"], "training_url": url["training"]},
    }
    cfg = {}
    for name in SERVICES:
        database = f"sqlite+aiosqlite:///{tmp_path / name}.db"
        await migrate(name, database)
        cfg[name] = settings_for(
            name, database_url=database, bootstrap=broker.bootstrap, **links[name]
        )
    async with contextlib.AsyncExitStack() as stack:
        services, servers = {}, {}
        for name in SERVICES:
            services[name] = await stack.enter_async_context(running(name, cfg[name]))
            servers[name] = await stack.enter_async_context(
                serve_on(services[name].app, ports[name])
            )
        yield Platform(services, servers)


async def register_in_depok(p: Platform, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """A candidate registered at registry and known to training and notifications."""
    body = volunteer_payload(email="siti@example.id", **overrides)
    r = await p.services["registry"].client.post("/volunteers", json=body, headers=p.headers(DEPOK))
    assert r.status_code == 201, r.text
    vid = r.json()["id"]

    async def known_everywhere() -> bool:
        for service in ("training", "notifications"):
            answer = await p.get(service, f"/volunteers/{vid}/records", DEPOK)
            if answer.status_code != 200:
                return False
        return True

    await eventually(known_everywhere, timeout=30, message="training and notifications know")
    return vid, body


@pytest.mark.broker
async def test_the_export_holds_the_persons_training_records_and_messages_not_only_registrys(
    broker, tmp_path
):
    async with platform(broker, tmp_path) as p:
        vid, body = await register_in_depok(p)
        training = p.services["training"]
        created = await training.client.post(
            "/sessions",
            headers=p.headers(DEPOK),
            json={
                "course_code": "BIMTEK-DASAR",
                "organiser_agency": "Dinas Sosial Kota Depok",
                "organiser_region_code": "32.76",
                "venue_name": "Aula Baleka lt. 10",
                "venue_village_code": "32.76.01.1006",
                "start_date": "2027-02-01",
                "end_date": "2027-02-02",
                "capacity": 10,
            },
        )
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert (
            await training.client.post(f"/sessions/{sid}/open", headers=p.headers(DEPOK))
        ).status_code == 200
        enrolled = await training.client.post(
            f"/sessions/{sid}/enrolments/bulk",
            headers=p.headers(DEPOK),
            json={"volunteer_ids": [vid]},
        )
        assert enrolled.status_code == 200, enrolled.text

        async def export_with_both_messages() -> Any:
            r = await p.get("registry", f"/volunteers/{vid}/export", DEPOK)
            assert r.status_code == 200, r.text
            messages = r.json()["notifications"]["messages"]
            # welcome and enrolment, rendered (sent, or deferred by quiet hours: at night)
            rendered = [m for m in messages if "Siti Aminah" in m["body"]]
            return r if len(messages) >= 2 and rendered else None

        r = await eventually(
            export_with_both_messages, timeout=45, interval=0.5, message="messages rendered"
        )
        assert r.headers["cache-control"] == "no-store"
        export = r.json()
        assert set(export) == {"registry", "training", "notifications", "generated_at"}
        assert export["registry"]["volunteer"]["nik"] == body["nik"]
        assert export["registry"]["volunteer"]["email"] == "siti@example.id"
        [enrolment] = export["training"]["enrolments"]
        assert enrolment["session"]["id"] == sid and enrolment["status"] == "confirmed"
        assert enrolment["session"]["venue_name"] == "Aula Baleka lt. 10"
        assert {m["session_id"] for m in export["notifications"]["messages"]} >= {sid}
        assert export["notifications"]["contact"]["full_name"] == "Siti Aminah"

        audit = await p.get(
            "registry",
            "/audit",
            NATIONAL,
            params={"volunteer_id": vid, "action": "volunteer.export"},
        )
        details = [a["detail"] for a in audit.json()]
        assert details and set(details) == {"format=json"}


@pytest.mark.broker
async def test_the_readable_document_shows_the_three_sections_in_indonesian(broker, tmp_path):
    async with platform(broker, tmp_path) as p:
        vid, body = await register_in_depok(p, address="Jl. Margonda <b>Raya</b> No. 1")
        by_query = await p.get("registry", f"/volunteers/{vid}/export?format=html", DEPOK)
        assert by_query.status_code == 200, by_query.text
        assert by_query.headers["content-type"].startswith("text/html")
        assert by_query.headers["cache-control"] == "no-store"
        disposition = by_query.headers["content-disposition"]
        assert disposition == f'attachment; filename="data-pribadi-{vid}.html"'
        page = by_query.text
        for heading in ("Registri", "Pelatihan (Bimtek)", "Notifikasi (pesan)"):
            assert heading in page
        assert "17 Mei 1990" in page  # the birth date, as Indonesians write it
        assert body["nik"] in page and "Belum pernah terdaftar di Bimtek" in page
        assert "&lt;b&gt;Raya&lt;/b&gt;" in page and "<b>Raya</b>" not in page

        by_accept = await p.get(
            "registry",
            f"/volunteers/{vid}/export",
            DEPOK,
            headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        )
        assert by_accept.headers["content-type"].startswith("text/html")
        audit = await p.get(
            "registry",
            "/audit",
            NATIONAL,
            params={"volunteer_id": vid, "action": "volunteer.export"},
        )
        assert [a["detail"] for a in audit.json()] == ["format=html", "format=html"]


@pytest.mark.broker
async def test_an_operator_of_another_regency_gets_404_from_the_export_and_both_records(
    broker, tmp_path
):
    async with platform(broker, tmp_path) as p:
        vid, _ = await register_in_depok(p)
        export = await p.get("registry", f"/volunteers/{vid}/export", BEKASI)
        assert export.status_code == 404
        for service in ("training", "notifications"):
            records = await p.get(service, f"/volunteers/{vid}/records", BEKASI)
            unknown = await p.get(service, f"/volunteers/{uuid.uuid4()}/records", BEKASI)
            assert (records.status_code, unknown.status_code) == (404, 404), service
        audit = await p.get("registry", "/audit", NATIONAL, params={"action": "volunteer.export"})
        assert audit.json() == []


# --- a service that cannot answer: no broker needed (registry and training over HTTP only)


@contextlib.asynccontextmanager
async def training_knowing(
    tmp_path: Any, volunteer_id: str | None, village: str, port: int
) -> AsyncIterator[None]:
    """training served on `port`, knowing `volunteer_id` with a place in a session (None:
    knowing nobody)."""
    async with training_app(f"sqlite+aiosqlite:///{tmp_path}/t.db") as t:
        if volunteer_id is not None:
            parts = village.split(".")
            event = VolunteerRegistered(
                volunteer_id=uuid.UUID(volunteer_id),
                village_code=village,
                district_code=".".join(parts[:3]),
                regency_code=".".join(parts[:2]),
                province_code=parts[0],
                region_dataset="kepmendagri-2025",
                status="candidate",
                registered_at=datetime.now(UTC),
            )
            async with t.runtime.sessionmaker() as s, s.begin():
                await training_volunteers.record_volunteer(s, event, now=datetime.now(UTC))
            session = await open_session(t, capacity=1)
            await enrol_all(t, session["id"], [volunteer_id])
        async with serve_on(t.app, port):
            yield


async def test_a_service_down_is_a_503_naming_it_and_nothing_partial(tmp_path):
    port = free_port()
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db",
        training_url=f"http://127.0.0.1:{port}",
        notifications_url=nobody,
    ) as reg:
        body = volunteer_payload()
        vid = (await reg.post("/volunteers", DEPOK, json=body)).json()["id"]
        async with training_knowing(tmp_path, vid, "32.76.01.1006", port):
            for fmt in ("json", "html"):
                down = await reg.get(f"/volunteers/{vid}/export?format={fmt}", DEPOK)
                assert down.status_code == 503, down.text
                assert down.headers["content-type"] == "application/problem+json"
                problem = down.json()
                assert problem["service"] == "notifications"
                assert "notifications" in problem["detail"]
                assert "retry-after" in down.headers
                assert body["nik"] not in down.text and "Siti" not in down.text
                assert "registry" not in problem and "training" not in problem
            english = await reg.client.get(
                f"/volunteers/{vid}/export",
                headers={**reg.headers(DEPOK), "Accept-Language": "en"},
            )
            assert "The notifications service could not be reached" in english.json()["detail"]
        audit = (await reg.get("/audit", NATIONAL, params={"action": "volunteer.export"})).json()
        assert audit == []


async def test_a_service_that_does_not_know_the_person_yet_refuses_the_export(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with (
        registry_http(
            f"sqlite+aiosqlite:///{tmp_path}/r.db", training_url=url, notifications_url=url
        ) as reg,
        training_knowing(tmp_path, None, "32.76.01.1006", port),
    ):
        vid = (await reg.post("/volunteers", DEPOK, json=volunteer_payload())).json()["id"]
        r = await reg.get(f"/volunteers/{vid}/export", DEPOK)
        assert r.status_code == 503 and r.json()["service"] == "training"
        assert "belum mengenal" in r.json()["detail"]


async def test_another_regencys_operator_gets_404_before_any_service_is_asked(tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}"
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db", training_url=nobody, notifications_url=nobody
    ) as reg:
        body = volunteer_payload(village_code=BEKASI_VILLAGE)
        vid = (await reg.post("/volunteers", NATIONAL, json=body)).json()["id"]
        assert (await reg.get(f"/volunteers/{vid}/export", DEPOK)).status_code == 404
        assert (await reg.get(f"/volunteers/{vid}/export", BEKASI)).status_code == 503
