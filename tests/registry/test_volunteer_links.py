"""One-time links to a volunteer's own page: an operator in scope has one sent (registry
hands the code to notifications with its own `access-links:send` token and keeps only the
code's hash); the volunteer redeems it once for a volunteer token that opens `/me` and
nothing else. Expired, used, unknown links and erased people: the same 401.

notifications is stood in for by a small HTTP server on loopback that verifies registry's
token like notifications does (signature, audience, permission) and keeps what it got."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Header, HTTPException, Request

from shared.clock import SYSTEM_CLOCK, Clock, FrozenClock
from shared.identity import (
    Audience,
    Permission,
    Revocations,
    Role,
    TokenVerifier,
)
from tests.builders import TEST_TOKEN_ISSUER, bearer, make_issuer, volunteer_payload
from tests.notifications.helpers import serve
from tests.registry.helpers import BEKASI, DEPOK, VIEWER, Registry, registry_http


@contextlib.asynccontextmanager
async def notifications_inbox(
    clock: Clock = SYSTEM_CLOCK,
) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP endpoint at notifications' path that accepts only registry's sender token."""
    got: list[dict[str, Any]] = []
    app = FastAPI()
    verifier = TokenVerifier(
        issuer=TEST_TOKEN_ISSUER,
        audience=Audience.NOTIFICATIONS,
        keys=make_issuer().public_keys,
        revocations=Revocations.followed_elsewhere(),
        clock=clock,
    )

    @app.post("/internal/volunteers/{volunteer_id}/access-link", status_code=202)
    async def take(volunteer_id: str, request: Request, authorization: str = Header()) -> Any:
        principal = verifier.verify(authorization.removeprefix("Bearer "))
        if not principal.may(Permission.ACCESS_LINKS_SEND):
            raise HTTPException(403)
        got.append({"volunteer_id": volunteer_id, "url": str(request.url), **await request.json()})
        return {"notification_id": volunteer_id, "channel": "whatsapp"}

    async with serve(app) as url:
        yield url, got


async def register(reg: Registry, who: dict[str, Any] = DEPOK, **overrides: Any) -> str:
    r = await reg.post("/volunteers", who, json=volunteer_payload(**overrides))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def send_link(reg: Registry, vid: str, got: list[dict[str, Any]]) -> str:
    r = await reg.post(f"/volunteers/{vid}/access-link", DEPOK)
    assert r.status_code == 202, r.text
    assert r.json() == {"volunteer_id": vid, "expires_in_minutes": 1440}
    return str(got[-1]["code"])


async def redeem(reg: Registry, code: str) -> Any:
    return await reg.client.post("/auth/volunteer-link", json={"code": code})


async def test_the_link_redeems_once_for_a_token_that_opens_only_the_volunteers_own_page(
    database_url,
):
    async with (
        notifications_inbox() as (url, got),
        registry_http(database_url, notifications_url=url) as reg,
    ):
        vid = await register(reg)
        code = await send_link(reg, vid, got)
        assert got[-1]["volunteer_id"] == vid and code not in got[-1]["url"]
        assert len(code) >= 40

        first = await redeem(reg, code)
        assert first.status_code == 200, first.text
        assert first.headers["cache-control"] == "no-store"
        answer = first.json()
        assert answer["volunteer_id"] == vid and "refresh_token" not in answer
        token = answer["access_token"]

        me = await reg.client.get("/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        own = me.json()
        assert own["id"] == vid and own["full_name"] == "Siti Aminah"
        assert own["status"] == "candidate" and "*" in own["nik"]
        assert own["regency"]["code"] == "32.76" and "DEPOK" in own["regency"]["name"].upper()
        assert own["history"] == []  # registered, never changed

        # the same token on an operator route: refused, whoever the person asked for is
        assert (
            await reg.client.get(f"/volunteers/{vid}", headers=bearer(token))
        ).status_code == 403
        assert (await reg.client.get("/volunteers", headers=bearer(token))).status_code == 403

        second = await redeem(reg, code)
        assert second.status_code == 401
        assert "minta tautan baru" in second.json()["detail"]


async def test_only_the_hash_is_stored_and_the_audit_never_holds_the_code(database_url):
    async with (
        notifications_inbox() as (url, got),
        registry_http(database_url, notifications_url=url) as reg,
    ):
        vid = await register(reg)
        code = await send_link(reg, vid, got)
        assert (await redeem(reg, code)).status_code == 200
        [(stored, used)] = await reg.sql("SELECT code_hash, used_at FROM volunteer_links")
        assert stored == hashlib.sha256(code.encode()).hexdigest() and used is not None
        audit = await reg.sql(
            "SELECT action, actor, role, detail FROM audit_log WHERE action LIKE 'access_link%'"
        )
        assert {(a, r) for a, _, r, _ in audit} == {
            ("access_link.send", "regency_operator"),
            ("access_link.redeem", "volunteer"),
        }
        assert all(code not in str(row) for row in audit)


async def test_an_expired_an_unknown_and_an_erased_persons_link_get_the_same_401(database_url):
    clock = FrozenClock()
    async with (
        notifications_inbox(clock) as (url, got),
        registry_http(database_url, notifications_url=url, clock=clock) as reg,
    ):
        vid = await register(reg)
        expired = await send_link(reg, vid, got)
        clock.advance(timedelta(minutes=1441))
        refused = await redeem(reg, expired)
        unknown = await redeem(reg, "x" * 43)
        assert refused.status_code == unknown.status_code == 401
        assert refused.json()["detail"] == unknown.json()["detail"]

        erased = await send_link(reg, vid, got)
        assert (await reg.post(f"/volunteers/{vid}/erasure", DEPOK)).status_code == 204
        assert (await redeem(reg, erased)).status_code == 401


async def test_two_concurrent_redeems_of_one_link_give_one_token(database_url):
    async with (
        notifications_inbox() as (url, got),
        registry_http(database_url, notifications_url=url) as reg,
    ):
        vid = await register(reg)
        code = await send_link(reg, vid, got)
        answers = await asyncio.gather(*(redeem(reg, code) for _ in range(4)))
        assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]


async def test_only_a_writing_operator_of_the_persons_region_can_send_a_link(database_url):
    async with (
        notifications_inbox() as (url, got),
        registry_http(database_url, notifications_url=url) as reg,
    ):
        vid = await register(reg)
        assert (await reg.post(f"/volunteers/{vid}/access-link", BEKASI)).status_code == 404
        assert (await reg.post(f"/volunteers/{vid}/access-link", VIEWER)).status_code == 403
        assert got == []


async def test_a_link_notifications_did_not_take_is_a_503_and_opens_nothing(database_url):
    async with registry_http(database_url, notifications_url="http://127.0.0.1:9") as reg:
        vid = await register(reg)
        r = await reg.post(f"/volunteers/{vid}/access-link", DEPOK)
        assert r.status_code == 503
        assert "belum terkirim" in r.json()["detail"]


async def test_a_volunteer_token_reads_its_own_record_never_anothers(database_url):
    async with registry_http(database_url) as reg:
        mine = await register(reg)
        other = await register(reg, BEKASI, full_name="Rahmat Hidayat", **_bekasi())
        token = make_issuer(reg.app.state.service.clock).mint(
            subject=mine, role=Role.VOLUNTEER, scope=mine, audiences=[Audience.REGISTRY]
        )
        me = await reg.client.get("/me", headers=bearer(token))
        assert me.json()["id"] == mine and "Rahmat" not in me.text
        for path in (f"/volunteers/{other}", f"/volunteers/{other}/history"):
            assert (await reg.client.get(path, headers=bearer(token))).status_code == 403


def _bekasi() -> dict[str, Any]:
    from tests.builders import BEKASI_VILLAGE, make_nik

    return {"village_code": BEKASI_VILLAGE, "nik": make_nik(region="327501")}
