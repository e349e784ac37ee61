"""The console's session cookie, CSRF checks and idle timeout (no browser, no service)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt

from services.console.config import Settings
from services.console.main import create_app
from services.console.session import COOKIE, Session, SessionCodec
from shared.clock import FrozenClock

SECRET = "a-test-session-secret-of-some-length-1234"


def console(clock: FrozenClock | None = None) -> httpx.AsyncClient:
    # registry at a closed port: these tests never need it to answer
    settings = Settings(
        environment="test", session_secret=SECRET, registry_url="http://127.0.0.1:1"
    )
    app = create_app(settings, clock=clock)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")


def signed_in(now: datetime, *, last_seen: datetime) -> Session:
    token = jwt.encode(
        {
            "exp": int((now + timedelta(minutes=10)).timestamp()),
            "role": "regency_operator",
            "scope": "32.76",
        },
        "k" * 32,
        algorithm="HS256",
    )
    return Session(
        access_token=token,
        refresh_token="r",
        expires_at=(now + timedelta(minutes=10)).timestamp(),
        role="regency_operator",
        scope="32.76",
        last_seen=last_seen.timestamp(),
    )


def test_a_sealed_session_opens_with_the_same_secret_only():
    session = Session(access_token="a.b.c", refresh_token="r", email="op@dinsos.go.id")
    value = SessionCodec(SECRET).seal(session)
    assert SessionCodec(SECRET).open(value) == session
    assert SessionCodec(SECRET + "x").open(value) is None
    assert "op@dinsos" not in value and "a.b.c" not in value  # encrypted, not just signed


def test_an_altered_or_foreign_cookie_is_no_session():
    value = SessionCodec(SECRET).seal(Session())
    flipped = value[:20] + ("A" if value[20] != "A" else "B") + value[21:]
    assert SessionCodec(SECRET).open(flipped) is None
    assert SessionCodec(SECRET).open("not-a-cookie") is None
    assert SessionCodec(SECRET).open("") is None


def test_csrf_tokens_compare_exactly():
    session = Session()
    assert session.csrf_matches(session.csrf)
    assert not session.csrf_matches(session.csrf[:-1])
    assert not session.csrf_matches(None)


async def test_a_post_without_the_csrf_token_is_refused():
    async with console() as c:
        await c.get("/masuk")  # the anonymous session with its token
        r = await c.post("/masuk", data={"email": "a@b.id", "password": "x"})
        assert r.status_code == 403
        assert "Formulir kedaluwarsa" in r.text


async def test_a_post_from_another_origin_is_refused_even_with_the_token():
    async with console() as c:
        await c.get("/masuk")
        csrf = SessionCodec(SECRET).open(c.cookies[COOKIE]).csrf  # type: ignore[union-attr]
        r = await c.post(
            "/bahasa", data={"csrf": csrf, "lang": "en"}, headers={"Origin": "https://evil.example"}
        )
        assert r.status_code == 403
        ok = await c.post(
            "/bahasa", data={"csrf": csrf, "lang": "en"}, headers={"Origin": "http://console"}
        )
        assert ok.status_code == 303 and ok.cookies.get("lang") == "en"


async def test_the_session_cookie_is_httponly_and_samesite_lax():
    async with console() as c:
        r = await c.get("/masuk")
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # only in production


async def test_an_idle_session_ends_and_the_sign_in_page_says_why():
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    codec = SessionCodec(SECRET)
    async with console(clock) as c:
        c.cookies.set(COOKIE, codec.seal(signed_in(now, last_seen=now - timedelta(minutes=31))))
        r = await c.get("/dasbor")
        assert (r.status_code, r.headers["location"]) == (303, "/masuk?pesan=habis")
        after = codec.open(r.cookies.get(COOKIE))
        assert after is not None and not after.signed_in


async def test_a_session_seen_within_the_idle_timeout_goes_on():
    now = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    codec = SessionCodec(SECRET)
    session = signed_in(now, last_seen=now - timedelta(minutes=29))
    async with console(FrozenClock(now)) as c:
        c.cookies.set(COOKIE, codec.seal(session))
        r = await c.get("/dasbor")
        # past the idle check: the page then asks registry (closed here), not the sign-in page
        assert r.status_code == 503
        kept = codec.open(r.cookies.get(COOKIE))
        assert kept == replace(session, last_seen=now.timestamp())
