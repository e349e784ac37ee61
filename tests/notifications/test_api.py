"""Operator endpoints: scope rules, resend, broadcasts, preferences, template preview, metrics."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI

from services.notifications.service import delivery
from shared.auth import Role
from shared.clock import FrozenClock
from shared.events import registry as reg
from tests.builders import auth_headers
from tests.notifications.helpers import (
    BEKASI,
    DEPOK,
    cancelled,
    confirmed,
    consume,
    notifications_app,
    registered,
    scheduled,
)

MORNING_WIB = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifications") as client:
        yield client


def as_operator(app: FastAPI, scope: str, role: Role | None = None) -> dict[str, str]:
    """An operator of `scope` (by default the operator role of that scope's level)."""
    if role is None:
        level = {0: Role.NATIONAL_ADMIN, 1: Role.PROVINCE_OPERATOR, 2: Role.REGENCY_OPERATOR}
        role = level[0 if scope == "national" else scope.count(".") + 1]
    return auth_headers(app, role=role, scope=scope)


async def make_active(app: FastAPI, vid: uuid.UUID, village: str) -> None:
    await consume(app, registered(vid, village))
    await consume(
        app,
        reg.VolunteerStatusChanged(
            volunteer_id=vid,
            old_status="candidate",
            new_status="active",
            province_code=village[:2],
            regency_code=village[:5],
            changed_at=datetime.now(UTC),
        ),
    )


async def test_operator_of_depok_cannot_see_bekasi_notifications(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        depok, bekasi = registry.add(DEPOK), registry.add(BEKASI)
        await consume(app, registered(depok, DEPOK))
        await consume(app, registered(bekasi, BEKASI))
        depok_op = as_operator(app, "32.76")

        r = await client.get("/notifications", headers=depok_op)
        assert r.status_code == 200
        assert [n["recipient_id"] for n in r.json()] == [str(depok)]
        everyone = await client.get("/notifications", headers=as_operator(app, "national"))
        assert len(everyone.json()) == 2
        bekasi_note = next(n for n in everyone.json() if n["recipient_id"] == str(bekasi))
        r = await client.get(f"/notifications/{bekasi_note['id']}", headers=depok_op)
        assert r.status_code == 404
        r = await client.post(f"/notifications/{bekasi_note['id']}/resend", headers=depok_op)
        assert r.status_code == 404
        assert (await client.get("/notifications")).status_code == 401


async def test_list_filters_by_volunteer_session_and_status(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        vid, sid = registry.add(DEPOK), uuid.uuid4()
        await consume(app, registered(vid))
        await consume(app, scheduled(sid, date(2026, 12, 20)))
        await consume(app, confirmed(sid, vid))
        await delivery.dispatch_once(app.state.service)
        headers = as_operator(app, "national", Role.NATIONAL_ADMIN)

        by_session = await client.get(
            "/notifications", params={"session_id": str(sid)}, headers=headers
        )
        assert [n["template"] for n in by_session.json()] == ["enrolment-confirmed"]
        by_volunteer = await client.get(
            "/notifications", params={"volunteer_id": str(vid), "status": "sent"}, headers=headers
        )
        assert sorted(n["template"] for n in by_volunteer.json()) == [
            "enrolment-confirmed",
            "registration-received",
        ]
        note = by_session.json()[0]
        detail = await client.get(f"/notifications/{note['id']}", headers=headers)
        assert detail.json()["delivery_attempts"][0]["outcome"] == "sent"
        assert "Bimtek PSM Dasar Kota Depok" in detail.json()["body"]


async def test_resend_queues_the_same_notification_again(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        [note] = (await client.get("/notifications", headers=as_operator(app, "32.76"))).json()

        viewer = as_operator(app, "32.76", Role.VIEWER)
        assert (
            await client.post(f"/notifications/{note['id']}/resend", headers=viewer)
        ).status_code == 403
        r = await client.post(
            f"/notifications/{note['id']}/resend", headers=as_operator(app, "32.76")
        )
        assert r.status_code == 202 and r.json()["status"] == "pending"
        await delivery.dispatch_once(app.state.service)
        assert len(app.state.service.dev_messages) == 2
        r = await client.get(f"/notifications/{note['id']}", headers=as_operator(app, "32.76"))
        assert r.json()["resent_count"] == 1 and len(r.json()["delivery_attempts"]) == 2


async def test_broadcast_reaches_the_active_psm_of_kota_depok_only(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        active_depok, candidate_depok, active_bekasi = (
            registry.add(DEPOK),
            registry.add(DEPOK),
            registry.add(BEKASI),
        )
        await make_active(app, active_depok, DEPOK)
        await consume(app, registered(candidate_depok, DEPOK))
        await make_active(app, active_bekasi, BEKASI)
        body = {"region_code": "32.76", "status": "active", "message": "Rapat PSM Jumat 09.00."}

        r = await client.post("/broadcasts", json=body, headers=as_operator(app, "32.76"))
        assert r.status_code == 202, r.text
        assert r.json()["recipients"] == 1 and r.json()["operator"] == "test-operator"
        outside = {**body, "region_code": "32.75"}
        r = await client.post("/broadcasts", json=outside, headers=as_operator(app, "32.76"))
        assert r.status_code == 403

        await delivery.dispatch_once(app.state.service)
        sent = [m for m in app.state.service.dev_messages if m["template"] == "broadcast"]
        assert [m["body"] for m in sent] == ["Rapat PSM Jumat 09.00."]
        audit = await client.get("/broadcasts", headers=as_operator(app, "32"))
        assert [b["region_code"] for b in audit.json()] == ["32.76"]
        assert (await client.get("/broadcasts", headers=as_operator(app, "32.75"))).json() == []


async def test_opt_out_suppresses_reminders_but_a_cancelled_session_is_still_told(
    database_url, registry
):
    clock = FrozenClock(MORNING_WIB)
    async with (
        notifications_app(database_url, registry_url=registry.url, clock=clock) as app,
        client_of(app) as client,
    ):
        vid, sid = registry.add(DEPOK), uuid.uuid4()
        await consume(app, registered(vid))
        prefs = {
            "channel_order": ["sms", "whatsapp"],
            "opt_outs": [{"category": "reminder", "channel": "*"}],
        }
        r = await client.put(
            f"/volunteers/{vid}/preferences", json=prefs, headers=as_operator(app, "32.76")
        )
        assert r.status_code == 200, r.text
        assert r.json()["channel_order"] == ["sms", "whatsapp"]
        bad = {"opt_outs": [{"category": "critical", "channel": "*"}]}
        r = await client.put(
            f"/volunteers/{vid}/preferences", json=bad, headers=as_operator(app, "32.76")
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opt_outs.0.category"
        r = await client.get(f"/volunteers/{vid}/preferences", headers=as_operator(app, "32.75"))
        assert r.status_code == 404

        await consume(app, scheduled(sid, (MORNING_WIB + timedelta(days=5)).date()))
        await consume(app, confirmed(sid, vid))
        clock.advance(timedelta(days=3))  # past the 3-day reminder
        await delivery.dispatch_once(app.state.service)
        await consume(app, cancelled(sid))
        await delivery.dispatch_once(app.state.service)

        listed = await client.get(
            "/notifications", params={"session_id": str(sid)}, headers=as_operator(app, "32.76")
        )
        status = {n["template"]: (n["status"], n["channel"]) for n in listed.json()}
        assert status == {
            "enrolment-confirmed": ("sent", "sms"),
            "session-reminder": ("suppressed", ""),
            "session-cancelled": ("sent", "sms"),
        }


async def test_preview_renders_a_template_against_its_example_or_given_values(
    database_url, registry
):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        headers = as_operator(app, "32.76")
        r = await client.get("/templates/session-reminder/preview", headers=headers)
        assert r.status_code == 200
        assert r.json()["body"].startswith(
            "Pengingat: Bimtek PSM Dasar Kota Depok 2026 dimulai 3 hari"
        )
        r = await client.post(
            "/templates/session-reminder/preview", json={"context": {"hari": 1}}, headers=headers
        )
        assert "dimulai 1 hari lagi" in r.json()["body"]
        templates = (await client.get("/templates", headers=headers)).json()
        assert {"session-cancelled", "operator-digest", "promoted-from-waitlist"} <= {
            t["name"] for t in templates
        }
        assert (await client.get("/templates/nope/preview", headers=headers)).status_code == 404


async def test_metrics_count_notifications_by_channel_and_outcome(database_url, registry):
    async with (
        notifications_app(
            database_url, registry_url=registry.url, clock=FrozenClock(MORNING_WIB)
        ) as app,
        client_of(app) as client,
    ):
        vid = registry.add(DEPOK)
        await consume(app, registered(vid))
        await delivery.dispatch_once(app.state.service)
        text = (await client.get("/metrics")).text
        assert 'psm_notifications_total{channel="whatsapp",outcome="sent"} 1.0' in text
