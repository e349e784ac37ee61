"""Operator accounts, login, refresh, logout and revocation: registry as the token issuer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher

from services.registry.main import create_app
from services.registry.service.passwords import Passwords
from shared.clock import FrozenClock
from shared.identity import (
    MAX_TOKEN_LIFETIME,
    Audience,
    Permission,
    PublicKeys,
    SigningKey,
)
from shared.throttle import TokenBuckets
from tests.builders import TEST_SIGNING_KEY, bearer, service_headers, token_settings
from tests.registry.helpers import NATIONAL, Registry, registry_http
from tests.support import settings_for

PASSWORD = "kuda-lumping-7-gamelan"
OTHER_PASSWORD = "angklung-sore-hari-42"


async def new_account(
    reg: Registry,
    email: str,
    role: str,
    scope: str,
    *,
    by: dict[str, str] | None = None,
    password: str = PASSWORD,
) -> str:
    """Create an account (by a national admin's token unless `by` headers are given)."""
    body = {"email": email, "role": role, "scope": scope, "password": password}
    headers = by if by is not None else reg.headers(NATIONAL)
    r = await reg.client.post("/operators", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def login(reg: Registry, email: str, password: str = PASSWORD) -> dict[str, Any]:
    r = await reg.client.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


async def accepted(reg: Registry, token: str) -> int:
    """The status registry answers an operator route with this token."""
    return (await reg.client.get("/volunteers", headers=bearer(token))).status_code


def revocations_reader(reg: Registry) -> dict[str, str]:
    return service_headers(reg.app, subject="training", permissions=[Permission.REVOCATIONS_READ])


async def test_login_issues_a_short_token_naming_the_account_and_a_session(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        answer = await login(reg, "Depok@Dinsos.go.id")
        assert answer["token_type"] == "Bearer"
        assert 0 < answer["expires_in"] <= 900
        c = claims(answer["access_token"])
        assert c["sub"] == account  # the id, never the email
        assert (c["role"], c["scope"]) == ("regency_operator", "32.76")
        assert sorted(c["aud"]) == sorted(a.value for a in Audience)
        assert c["exp"] - c["iat"] <= MAX_TOKEN_LIFETIME.total_seconds()
        assert c["sid"]
        assert await accepted(reg, answer["access_token"]) == 200
        # only the refresh token's SHA-256 is stored
        stored = [r[0] for r in await reg.sql("SELECT token_hash FROM refresh_tokens")]
        assert len(stored) == 1 and answer["refresh_token"] not in stored[0]


async def test_login_answers_the_same_for_an_unknown_email_a_wrong_password_and_a_disabled_account(
    database_url,
):
    async with registry_http(database_url) as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        await new_account(reg, "bekasi@dinsos.go.id", "regency_operator", "32.75")
        r = await reg.client.post(f"/operators/{account}/disable", headers=reg.headers(NATIONAL))
        assert r.status_code == 200 and r.json()["active"] is False
        answers = [
            await reg.client.post("/auth/login", json={"email": email, "password": password})
            for email, password in (
                ("nobody@dinsos.go.id", PASSWORD),
                ("bekasi@dinsos.go.id", OTHER_PASSWORD),
                ("depok@dinsos.go.id", PASSWORD),
            )
        ]
        assert {a.status_code for a in answers} == {401}
        bodies = [{k: v for k, v in a.json().items() if k != "instance"} for a in answers]
        assert bodies[0] == bodies[1] == bodies[2]
        assert (
            await reg.client.post(
                "/auth/login", json={"email": "bekasi@dinsos.go.id", "password": PASSWORD}
            )
        ).status_code == 200


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(database_url):
    async with registry_http(database_url) as reg:
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        first = await login(reg, "depok@dinsos.go.id")
        r = await reg.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert r.status_code == 200, r.text
        second = r.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert claims(second["access_token"])["sid"] == claims(first["access_token"])["sid"]
        assert await accepted(reg, second["access_token"]) == 200
        # the first refresh token again: someone holds a copy, the whole session ends
        again = await reg.client.post(
            "/auth/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert again.status_code == 401
        later = await reg.client.post(
            "/auth/refresh", json={"refresh_token": second["refresh_token"]}
        )
        assert later.status_code == 401
        assert await accepted(reg, second["access_token"]) == 401
        assert await accepted(reg, first["access_token"]) == 401
        feed = await reg.client.get("/internal/revocations", headers=revocations_reader(reg))
        sid = claims(first["access_token"])["sid"]
        assert [e["session"] for e in feed.json()["revocations"]] == [sid]
        reasons = await reg.sql("SELECT reason FROM token_revocations")
        assert [r[0] for r in reasons] == ["refresh_reuse"]


async def test_a_session_ends_at_its_absolute_lifetime_however_often_it_is_refreshed(tmp_path):
    clock = FrozenClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, clock=clock, refresh_token_ttl_s=3600) as reg:
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        refresh = (await login(reg, "depok@dinsos.go.id"))["refresh_token"]
        for _ in range(3):
            clock.advance(timedelta(minutes=14))
            r = await reg.client.post("/auth/refresh", json={"refresh_token": refresh})
            assert r.status_code == 200, r.text
            refresh = r.json()["refresh_token"]
        clock.advance(timedelta(minutes=20))  # 62 minutes after the login
        r = await reg.client.post("/auth/refresh", json={"refresh_token": refresh})
        assert r.status_code == 401


async def test_logout_ends_the_session_and_revokes_its_access_token(database_url):
    async with registry_http(database_url) as reg:
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        here = await login(reg, "depok@dinsos.go.id")
        elsewhere = await login(reg, "depok@dinsos.go.id")
        r = await reg.client.post("/auth/logout", headers=bearer(here["access_token"]))
        assert r.status_code == 204
        assert await accepted(reg, here["access_token"]) == 401
        refused = await reg.client.post(
            "/auth/refresh", json={"refresh_token": here["refresh_token"]}
        )
        assert refused.status_code == 401
        assert await accepted(reg, elsewhere["access_token"]) == 200  # another session
        feed = (
            await reg.client.get("/internal/revocations", headers=revocations_reader(reg))
        ).json()
        assert [e["session"] for e in feed["revocations"]] == [claims(here["access_token"])["sid"]]


async def test_disabling_an_operator_revokes_their_tokens_at_every_registry_replica(tmp_path):
    clock = FrozenClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, clock=clock) as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        token = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        # a second replica on the same database
        replica = create_app(reg.settings, clock=clock)
        state = replica.state.service
        await state.own_revocations.reload()
        assert state.verifier.verify(token).subject == account
        clock.advance(timedelta(seconds=1))
        r = await reg.client.post(f"/operators/{account}/disable", headers=reg.headers(NATIONAL))
        assert r.status_code == 200
        assert await accepted(reg, token) == 401  # this process: at once
        # the replica: at its next read of the revocations (every revocation_poll_s)
        entries, as_of = await state.own_revocations.fetch()
        state.verifier.revocations.replace(entries, as_of=as_of)
        with pytest.raises(Exception, match="dicabut"):
            state.verifier.verify(token)
        await replica.state.runtime.engine.dispose()
        feed = (
            await reg.client.get("/internal/revocations", headers=revocations_reader(reg))
        ).json()
        assert feed["as_of"] == clock.now().timestamp()
        assert [(e["subject"], e["session"]) for e in feed["revocations"]] == [(account, None)]
        refused = await reg.client.post(
            "/auth/login", json={"email": "depok@dinsos.go.id", "password": PASSWORD}
        )
        assert refused.status_code == 401
        # enabled again: a new login works, the old token stays revoked
        await reg.client.post(f"/operators/{account}/enable", headers=reg.headers(NATIONAL))
        clock.advance(timedelta(seconds=1))
        fresh = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        assert (await accepted(reg, fresh), await accepted(reg, token)) == (200, 401)


async def test_a_replica_follows_a_revocation_within_its_poll_interval(tmp_path):
    clock = FrozenClock(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, clock=clock, revocation_poll_s=5) as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        token = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        async with registry_http(url, clock=clock, revocation_poll_s=5) as replica:
            assert await accepted(replica, token) == 200
            clock.advance(timedelta(seconds=1))
            await reg.client.post(f"/operators/{account}/disable", headers=reg.headers(NATIONAL))
            clock.advance(timedelta(seconds=5))  # the replica's snapshot is now 5 s old
            assert await accepted(replica, token) == 401


async def test_a_scope_change_revokes_the_tokens_carrying_the_old_scope(database_url):
    async with registry_http(database_url) as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        old = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        r = await reg.client.patch(
            f"/operators/{account}", json={"scope": "32.75"}, headers=reg.headers(NATIONAL)
        )
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "32.75"
        assert await accepted(reg, old) == 401
        feed = (
            await reg.client.get("/internal/revocations", headers=revocations_reader(reg))
        ).json()
        assert [e["subject"] for e in feed["revocations"]] == [account]
        reasons = await reg.sql("SELECT reason FROM token_revocations")
        assert [r[0] for r in reasons] == ["scope_changed"]
        new = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        assert claims(new)["scope"] == "32.75"


async def test_role_and_scope_must_fit_together(database_url):
    async with registry_http(database_url) as reg:
        body = {
            "email": "x@dinsos.go.id",
            "role": "regency_operator",
            "scope": "32",
            "password": PASSWORD,
        }
        r = await reg.client.post("/operators", json=body, headers=reg.headers(NATIONAL))
        assert r.status_code == 422
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        r = await reg.client.patch(
            f"/operators/{account}", json={"scope": "32"}, headers=reg.headers(NATIONAL)
        )
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        r = await reg.client.patch(
            f"/operators/{account}",
            json={"role": "province_operator", "scope": "32"},
            headers=reg.headers(NATIONAL),
        )
        assert r.status_code == 200, r.text
        reasons = await reg.sql("SELECT reason FROM token_revocations")
        assert [r[0] for r in reasons] == ["role_changed"]


async def test_a_province_operator_manages_only_the_accounts_of_their_regencies(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        admin = await new_account(reg, "pusat@kemensos.go.id", "national_admin", "national")
        await new_account(reg, "jabar@dinsos.go.id", "province_operator", "32")
        jateng = await new_account(reg, "jateng@dinsos.go.id", "province_operator", "33")
        solo = await new_account(reg, "solo@dinsos.go.id", "regency_operator", "33.72")
        jabar = bearer((await login(reg, "jabar@dinsos.go.id"))["access_token"])
        depok = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76", by=jabar)
        await new_account(reg, "lihat@dinsos.go.id", "viewer", "32.75", by=jabar)
        for role, scope in (
            ("regency_operator", "33.72"),  # another province's regency
            ("province_operator", "32"),  # their own level
            ("national_admin", "national"),  # above them
            ("viewer", "32"),  # a province-wide viewer
        ):
            body = {"email": f"{role}@x.id", "role": role, "scope": scope, "password": PASSWORD}
            r = await reg.client.post("/operators", json=body, headers=jabar)
            assert r.status_code == 403, (role, scope, r.text)
        for other in (admin, jateng, solo):
            r = await reg.client.post(f"/operators/{other}/disable", headers=jabar)
            assert r.status_code == 404
        promote = await reg.client.patch(
            f"/operators/{depok}", json={"role": "province_operator", "scope": "32"}, headers=jabar
        )
        assert promote.status_code == 403
        moved = await reg.client.patch(
            f"/operators/{depok}", json={"scope": "33.72"}, headers=jabar
        )
        assert moved.status_code == 403
        assert (
            await reg.client.post(f"/operators/{depok}/disable", headers=jabar)
        ).status_code == 200
        listed = (await reg.client.get("/operators", headers=jabar)).json()
        assert sorted(o["email"] for o in listed["items"]) == [
            "depok@dinsos.go.id",
            "lihat@dinsos.go.id",
        ]
        assert listed["total"] == 2
        depok_login = bearer((await login(reg, "lihat@dinsos.go.id"))["access_token"])
        assert (await reg.client.get("/operators", headers=depok_login)).status_code == 403


async def test_operator_lists_are_paginated(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        for n in range(3):
            await new_account(reg, f"op{n}@dinsos.go.id", "viewer", "32.76")
        page = await reg.client.get(
            "/operators", params={"limit": 2, "offset": 1}, headers=reg.headers(NATIONAL)
        )
        assert [o["email"] for o in page.json()["items"]] == [
            "op1@dinsos.go.id",
            "op2@dinsos.go.id",
        ]
        assert page.json()["total"] == 3
        too_many = await reg.client.get(
            "/operators", params={"limit": 1001}, headers=reg.headers(NATIONAL)
        )
        assert too_many.status_code == 422


@pytest.mark.parametrize(
    "password",
    ["short-pw-1", "Password1234", "depok-password-99", "abababababababab"],
    ids=["too-short", "common", "contains-the-email-name", "few-distinct-characters"],
)
async def test_weak_initial_passwords_are_refused_without_being_echoed(tmp_path, password):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        body = {
            "email": "depok@dinsos.go.id",
            "role": "regency_operator",
            "scope": "32.76",
            "password": password,
        }
        r = await reg.client.post("/operators", json=body, headers=reg.headers(NATIONAL))
        assert r.status_code == 422, r.text
        # the schema refuses a too-short one (its path names the body's variant), the
        # domain rule the others
        assert r.json()["errors"][0]["field"].split(".")[-1] == "password"
        assert password not in r.text


async def test_changing_ones_password_needs_the_current_one_and_ends_every_session(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        session = await login(reg, "depok@dinsos.go.id")
        headers = bearer(session["access_token"])
        wrong = await reg.client.post(
            "/auth/password",
            json={"current_password": OTHER_PASSWORD, "new_password": OTHER_PASSWORD},
            headers=headers,
        )
        assert wrong.status_code == 403
        r = await reg.client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": OTHER_PASSWORD},
            headers=headers,
        )
        assert r.status_code == 204, r.text
        assert await accepted(reg, session["access_token"]) == 401
        refresh = await reg.client.post(
            "/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refresh.status_code == 401
        old = await reg.client.post(
            "/auth/login", json={"email": "depok@dinsos.go.id", "password": PASSWORD}
        )
        assert old.status_code == 401
        await login(reg, "depok@dinsos.go.id", OTHER_PASSWORD)


async def test_passwords_and_their_hashes_appear_in_no_log_and_no_audit_entry(tmp_path, capsys):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        account = await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        session = await login(reg, "depok@dinsos.go.id")
        await reg.client.post("/auth/login", json={"email": "depok@dinsos.go.id", "password": "x"})
        await reg.client.post(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": OTHER_PASSWORD},
            headers=bearer(session["access_token"]),
        )
        await reg.client.post(f"/operators/{account}/disable", headers=reg.headers(NATIONAL))
        audit = (await reg.client.get("/audit", headers=reg.headers(NATIONAL))).json()
        assert {a["action"] for a in audit} >= {
            "operator.create",
            "operator.password",
            "operator.disable",
        }
        password_entry = next(a for a in audit if a["action"] == "operator.password")
        assert password_entry["actor"] == account  # the token's subject
        stored_hash = (await reg.sql("SELECT password_hash FROM operators"))[0][0]
        assert stored_hash.startswith("$argon2id$")
        out = capsys.readouterr()
        text = json.dumps(audit) + out.out + out.err
        for secret in (PASSWORD, OTHER_PASSWORD, stored_hash, "$argon2", "depok@dinsos"):
            assert secret not in text


async def test_a_login_rehashes_a_password_hashed_with_older_parameters(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        state = reg.app.state.service
        state.passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        before = (await reg.sql("SELECT password_hash FROM operators"))[0][0]
        state.passwords = Passwords()
        await login(reg, "depok@dinsos.go.id")
        after = (await reg.sql("SELECT password_hash FROM operators"))[0][0]
        assert "m=8192" in before and after != before
        assert not state.passwords.needs_rehash(after)
        await login(reg, "depok@dinsos.go.id")


async def test_logins_are_throttled_per_email_address(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    async with registry_http(url, login_rate_burst=3, login_rate_per_minute=1) as reg:
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        body = {"email": "depok@dinsos.go.id", "password": OTHER_PASSWORD}
        statuses = []
        for _ in range(4):
            reg.app.state.throttles = TokenBuckets()  # as if from another client each time
            statuses.append((await reg.client.post("/auth/login", json=body)).status_code)
        assert statuses == [401, 401, 401, 429]
        reg.app.state.throttles = TokenBuckets()
        limited = await reg.client.post("/auth/login", json=body)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_the_jwks_publishes_the_signing_keys_and_the_retired_ones(tmp_path):
    rotating_out = SigningKey.generate()
    retired = SigningKey.generate()
    keys = TEST_SIGNING_KEY.pem().decode() + rotating_out.pem().decode()
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db",
        signing_keys=keys,
        retired_public_keys=json.dumps({"keys": [retired.public_jwk()]}),
    ) as reg:
        r = await reg.client.get("/.well-known/jwks.json")
        assert r.status_code == 200
        assert "max-age=300" in r.headers["cache-control"]
        published = PublicKeys(r.json())
        assert published.kids == [TEST_SIGNING_KEY.kid, rotating_out.kid, retired.kid]
        assert all("d" not in k for k in r.json()["keys"])
        await new_account(reg, "depok@dinsos.go.id", "regency_operator", "32.76")
        token = (await login(reg, "depok@dinsos.go.id"))["access_token"]
        assert jwt.get_unverified_header(token)["kid"] == TEST_SIGNING_KEY.kid


async def test_client_credentials_give_a_service_exactly_its_grants(tmp_path):
    secret = "n0t1f1c4t10ns-client-secret-for-tests-7Qx"
    async with registry_http(
        f"sqlite+aiosqlite:///{tmp_path}/r.db",
        service_client_secrets={"notifications": secret, "training": secret[::-1]},
    ) as reg:
        form = {
            "grant_type": "client_credentials",
            "client_id": "notifications",
            "client_secret": secret,
            "audience": "psm-registry",
        }
        r = await reg.client.post("/auth/token", data=form)
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        token = r.json()["access_token"]
        feed = await reg.client.get("/internal/revocations", headers=bearer(token))
        assert feed.status_code == 200
        principal = reg.app.state.service.verifier.verify(token)
        assert (principal.subject, principal.role, principal.scope) == (
            "notifications",
            "service",
            "national",
        )
        assert principal.permissions == {
            Permission.CONTACTS_READ,
            Permission.REVOCATIONS_READ,
            Permission.SESSIONS_READ,
        }
        assert claims(token)["exp"] - claims(token)["iat"] == 300
        training = await reg.client.post(
            "/auth/token",
            data={**form, "client_id": "training", "client_secret": secret[::-1]},
        )
        assert set(claims(training.json()["access_token"])["perms"]) == {"revocations:read"}
        for wrong in (
            {**form, "client_secret": secret + "x"},
            {**form, "client_id": "payments"},
            {**form, "client_id": "training"},
        ):
            refused = await reg.client.post("/auth/token", data=wrong)
            assert refused.status_code == 401, wrong["client_id"]


async def test_contacts_refuse_operator_tokens_and_services_without_contacts_read(tmp_path):
    async with registry_http(f"sqlite+aiosqlite:///{tmp_path}/r.db") as reg:
        body = {"volunteer_ids": ["00000000-0000-0000-0000-000000000001"]}
        training = service_headers(
            reg.app, subject="training", permissions=[Permission.REVOCATIONS_READ]
        )
        notifications = service_headers(
            reg.app, subject="notifications", permissions=[Permission.CONTACTS_READ]
        )
        for headers in (reg.headers(NATIONAL), training):
            r = await reg.client.post("/internal/contacts", json=body, headers=headers)
            assert r.status_code == 403
        r = await reg.client.post("/internal/contacts", json=body, headers=notifications)
        assert r.status_code == 200
        # and the revocation feed wants its own permission
        feed = await reg.client.get("/internal/revocations", headers=notifications)
        assert feed.status_code == 403
        assert (await reg.client.get("/internal/revocations")).status_code == 401


def test_registry_without_a_signing_key_refuses_to_build_in_production(tmp_path):
    settings = settings_for(
        "registry",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db",
        bootstrap="127.0.0.1:1",
        **{k: v for k, v in token_settings("registry").items() if k != "signing_keys"},
    )
    # past the settings guard: the state's own check
    settings.environment = "production"
    settings.signing_keys = None
    with pytest.raises(RuntimeError, match="REGISTRY_SIGNING_KEYS"):
        create_app(settings)
