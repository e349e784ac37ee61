"""Real loopback servers standing in for registry's internal API, the SMS/WhatsApp gateway
and an SMTP server; and a way to hand an event to the consumer in-process."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import bindparam, text

from services.notifications.config import Settings
from services.notifications.db.tables import Notification
from services.notifications.domain import templates
from services.notifications.main import create_app
from shared.clock import FrozenClock
from shared.errors import Unauthenticated
from shared.events import registry as reg
from shared.events import training as tr
from shared.events.base import Event
from shared.events.envelope import Envelope
from shared.identity import (
    Audience,
    Permission,
    PublicKeys,
    Revocations,
    Role,
    TokenVerifier,
)
from shared.outbox import outbox_row
from tests.builders import TEST_CLIENT_SECRETS, TEST_JWKS, TEST_TOKEN_ISSUER, make_issuer
from tests.support import migrate, settings_for
from tools.broker import free_port

DEPOK = "32.76.01.1006"  # Jawa Barat: WIB
BEKASI = "32.75.01.1001"  # Jawa Barat: WIB
MAKASSAR = "73.71.01.1001"  # Sulawesi Selatan: WITA
JAYAPURA = "94.71.01.1001"  # Papua: WIT


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


#: notifications' client secret at the (fake or real) registry's /auth/token
CLIENT_SECRET = TEST_CLIENT_SECRETS["notifications"]


#: what training answers for a session the test did not describe (the names the tests expect)
DEFAULT_SESSION_TEXTS = {
    "title": "Bimtek PSM Dasar Kota Depok",
    "organiser_agency": "Dinas Sosial Kota Depok",
    "venue_name": "Aula Baleka lt. 10",
    "venue_village_code": DEPOK,
    "timezone": "Asia/Jakarta",
    "status": "open",
}


@dataclass
class FakeTraining:
    """Training's `GET /internal/sessions/{id}` for tokens of audience psm-training holding
    `sessions:read`. A session in `sessions` answers with what is given there (the rest from
    `DEFAULT_SESSION_TEXTS`); any other with `default` (None: 404); `down` answers 503.
    Every answer is recorded."""

    sessions: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    default: dict[str, Any] | None = field(default_factory=lambda: dict(DEFAULT_SESSION_TEXTS))
    down: bool = False
    requests: list[uuid.UUID] = field(default_factory=list)

    def routes(self, api: FastAPI) -> None:
        verifier = TokenVerifier(
            issuer=TEST_TOKEN_ISSUER,
            audience=Audience.TRAINING,
            keys=PublicKeys(json.loads(TEST_JWKS)),
            revocations=Revocations.followed_elsewhere(),
        )

        @api.get("/internal/sessions/{sid}")
        async def session_texts(sid: uuid.UUID, request: Request) -> Any:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                principal = verifier.verify(token)
            except Unauthenticated:
                return JSONResponse({"detail": "unauthenticated"}, status_code=401)
            if not principal.may(Permission.SESSIONS_READ):
                return JSONResponse({"detail": "needs sessions:read"}, status_code=403)
            if self.down:
                return JSONResponse({"detail": "down"}, status_code=503)
            self.requests.append(sid)
            found = self.sessions.get(sid, self.default)
            if found is None:
                return JSONResponse({"detail": "unknown"}, status_code=404)
            start = date(2026, 12, 20)
            dates = {"start_date": str(start), "end_date": str(start + timedelta(days=1))}
            return {"session_id": str(sid), **dates, **DEFAULT_SESSION_TEXTS, **found}


@dataclass
class FakeRegistry:
    """Registry's token endpoint (client credentials, the test issuer) and internal API:
    contacts for service tokens holding `contacts:read` only, every call recorded.

    The same loopback server also plays training's internal session route (`training`):
    notifications' tests point both URLs at it unless they run a real training."""

    settings: Settings
    #: what /auth/token grants notifications (registry's grant table)
    grants: frozenset[Permission] = frozenset({Permission.CONTACTS_READ, Permission.SESSIONS_READ})
    training: FakeTraining = field(default_factory=FakeTraining)
    tokens_issued: int = 0
    contacts: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    erased: set[uuid.UUID] = field(default_factory=set)
    operators: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # what registry would audit
    requests: list[str] = field(default_factory=list)  # HTTP requests answered, by path
    # runs while a batch request is being answered (e.g. an erasure arriving meanwhile)
    during_batch: Callable[[], Awaitable[None]] | None = None

    def add(
        self,
        village: str = DEPOK,
        *,
        name: str = "Siti Aminah",
        phone: str | None = "+6281234567890",
        email: str | None = None,
    ) -> uuid.UUID:
        vid = uuid.uuid4()
        self.contacts[vid] = {
            "volunteer_id": str(vid),
            "full_name": name,
            "phone": phone,
            "email": email,
            "province_code": village[:2],
            "regency_code": village[:5],
            "village_code": village,
            "status": "candidate",
        }
        return vid

    def app(self) -> FastAPI:
        api = FastAPI()
        self._token_endpoint(api)
        self.training.routes(api)
        verifier = TokenVerifier(
            issuer=TEST_TOKEN_ISSUER,
            audience=Audience.REGISTRY,
            keys=PublicKeys(json.loads(TEST_JWKS)),
            revocations=Revocations.followed_elsewhere(),
        )

        def caller(request: Request) -> str | None:
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            try:
                principal = verifier.verify(token)
            except Unauthenticated:
                return None
            return principal.subject if principal.may(Permission.CONTACTS_READ) else None

        @api.get("/internal/volunteers/{vid}/contact")
        async def contact(vid: uuid.UUID, request: Request) -> Any:
            subject = caller(request)
            if subject is None:
                return JSONResponse({"detail": "service only"}, status_code=403)
            self.requests.append("/internal/volunteers/{id}/contact")
            self.calls.append(("contact.read", str(vid)))
            if vid in self.erased:
                return JSONResponse({"detail": "erased"}, status_code=410)
            if vid not in self.contacts:
                return JSONResponse({"detail": "unknown"}, status_code=404)
            return self.contacts[vid]

        @api.post("/internal/contacts")
        async def contacts(request: Request) -> Any:
            if caller(request) is None:
                return JSONResponse({"detail": "service only"}, status_code=403)
            self.requests.append("/internal/contacts")
            ids = [uuid.UUID(i) for i in (await request.json())["volunteer_ids"]]
            self.calls.extend(("contact.read", str(i)) for i in ids)
            if self.during_batch is not None:
                await self.during_batch()
            return {
                "contacts": [
                    self.contacts[i] for i in ids if i in self.contacts and i not in self.erased
                ],
                "unknown": [str(i) for i in ids if i not in self.contacts and i not in self.erased],
                "erased": [str(i) for i in ids if i in self.erased],
            }

        @api.get("/internal/operators")
        async def operators(region: str, request: Request) -> Any:
            if caller(request) is None:
                return JSONResponse({"detail": "service only"}, status_code=403)
            self.calls.append(("operators.read", region))
            return [
                o
                for o in self.operators
                if o["scope"] == "national"
                or region == o["scope"]
                or region.startswith(o["scope"] + ".")
            ]

        return api

    def _token_endpoint(self, api: FastAPI) -> None:
        """POST /auth/token: client credentials, granted `grants` (the test issuer signs)."""

        @api.post("/auth/token")
        async def token(request: Request) -> Any:
            form = await request.form()
            if (form.get("client_id"), form.get("client_secret")) != (
                "notifications",
                CLIENT_SECRET,
            ):
                return JSONResponse({"detail": "unknown client"}, status_code=401)
            self.tokens_issued += 1
            minted = make_issuer().mint(
                subject="notifications",
                role=Role.SERVICE,
                scope="national",
                audiences=[str(form.get("audience") or Audience.REGISTRY)],
                ttl=timedelta(minutes=5),
                permissions=self.grants,
            )
            return {"access_token": minted, "token_type": "Bearer", "expires_in": 300}


@dataclass
class FakeGateway:
    """The SMS/WhatsApp gateway: scripted answers per channel (status code or 'hang')."""

    script: dict[str, list[int | str]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/v1/messages/{channel}")
        async def send(channel: str, request: Request) -> Any:
            body = await request.json()
            answers = self.script.get(channel) or [200]
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            if answer == "hang":
                await asyncio.sleep(1)
                answer = 200
            assert isinstance(answer, int)
            self.received.append({**body, "status": answer})
            if answer != 200:
                return JSONResponse({"error": "scripted"}, status_code=answer)
            return {"id": f"gw-{next(self.ids)}"}

        return api


class SmtpSink:
    """aiosmtpd handler keeping every message; refuses recipients at @bounce.example."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.endswith("@bounce.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_server() -> Any:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@contextlib.asynccontextmanager
async def notifications_app(
    database_url: str,
    *,
    registry_url: str,
    clock: FrozenClock,
    bootstrap: str = "127.0.0.1:1",
    training_url: str | None = None,
    **overrides: Any,
) -> AsyncIterator[FastAPI]:
    """A migrated notifications app whose dispatcher the test drives by hand (its clock is `clock`).

    Its lifespan is not started: handlers are fed through `consume`, routes through ASGI.
    Training's internal API is at `training_url` (default: the fake registry's server)."""
    await migrate("notifications", database_url)
    settings = settings_for(
        "notifications",
        database_url=database_url,
        bootstrap=bootstrap,
        registry_url=registry_url,
        training_url=training_url or registry_url,
        **{"delivery_backoff_s": 60.0, **overrides},
    )
    app = create_app(settings, clock=clock, run_dispatcher=False)
    try:
        yield app
    finally:
        await app.state.runtime.engine.dispose()


def record_of(
    event: Event, *, event_id: uuid.UUID | None = None, source: str = "test"
) -> ConsumerRecord[bytes, bytes]:
    """The Kafka record a producer would write for `event` (same ce_id when event_id is given)."""
    row = outbox_row(event, source=source)
    envelope = Envelope(
        event_type=event.event_type,
        source=source,
        schema_version=event.schema_version,
        event_id=event_id or uuid.UUID(str(row["event_id"])),
        time=datetime.now(UTC),
    )
    return ConsumerRecord(
        topic=event.topic,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=str(row["key"]).encode(),
        value=str(row["payload"]).encode(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[(k, v.encode()) for k, v in envelope.to_headers().items()],
    )


async def consume(app: FastAPI, event: Event, *, event_id: uuid.UUID | None = None) -> str:
    """Hand one event to the service's consumer wrapper (inbox, transaction) without a broker."""
    return await app.state.runtime.consumer.process(record_of(event, event_id=event_id))


async def publish(bootstrap: str, event: Event, *, event_id: uuid.UUID) -> None:
    """Write an event to the real broker as a producer service would (envelope in headers)."""
    record = record_of(event, event_id=event_id)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=list(record.headers)
        )
    finally:
        await producer.stop()


def registered(vid: uuid.UUID, village: str = DEPOK) -> reg.VolunteerRegistered:
    return reg.VolunteerRegistered(
        volunteer_id=vid,
        village_code=village,
        district_code=village[:8],
        regency_code=village[:5],
        province_code=village[:2],
        region_dataset="kepmendagri-2025",
        registered_at=datetime.now(UTC),
    )


def scheduled(sid: uuid.UUID, start: date, zone: str = "Asia/Jakarta") -> tr.SessionScheduled:
    return tr.SessionScheduled(
        session_id=sid,
        course_code="BMT-DASAR",
        level="dasar",
        organiser_region_code="32.76",
        venue_village_code=DEPOK,
        start_date=start,
        end_date=start + timedelta(days=1),
        capacity=100,
        timezone=zone,
    )


def rescheduled(sid: uuid.UUID, start: date, previous: date) -> tr.SessionRescheduled:
    return tr.SessionRescheduled(
        session_id=sid,
        start_date=start,
        end_date=start + timedelta(days=1),
        previous_start_date=previous,
        previous_end_date=previous + timedelta(days=1),
        venue_village_code=DEPOK,
        timezone="Asia/Jakarta",
    )


def confirmed(
    sid: uuid.UUID, vid: uuid.UUID, *, from_waitlist: bool = False
) -> tr.EnrolmentConfirmed:
    return tr.EnrolmentConfirmed(
        enrolment_id=uuid.uuid4(),
        session_id=sid,
        volunteer_id=vid,
        from_waitlist=from_waitlist,
        confirmed_at=datetime.now(UTC),
    )


def cancelled(sid: uuid.UUID) -> tr.SessionCancelled:
    return tr.SessionCancelled(
        session_id=sid, reason="gedung tidak tersedia", cancelled_at=datetime.now(UTC)
    )


async def queue_welcome_wave(
    app: FastAPI, count: int, *, due: datetime, region: str = DEPOK
) -> None:
    """`count` welcome messages, due before anything else, in ONE INSERT … SELECT (a few
    hundred milliseconds; row-by-row parameters would take seconds)."""
    spec = templates.get(templates.REGISTRATION_RECEIVED)
    engine = app.state.runtime.engine
    postgresql = engine.dialect.name == "postgresql"
    new_id = "gen_random_uuid()" if postgresql else "lower(hex(randomblob(16)))"
    due_at = "CAST(:due AS TIMESTAMPTZ)" if postgresql else ":due"  # SQLite keeps the text
    table = Notification.__table__
    stmt = text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
        "INSERT INTO notifications (id, trigger_event_id, recipient_id, recipient_kind, "
        "template, template_version, category, priority, channel, status, body, context, "
        "region_code, created_at, next_attempt_at, attempts, resent_count) "
        f"SELECT {new_id}, {new_id}, {new_id}, 'volunteer', CAST(:template AS VARCHAR(80)), "
        "CAST(:version AS INTEGER), 'account', CAST(:priority AS INTEGER), '', 'pending', '', "
        f"'{{}}', CAST(:region AS VARCHAR(20)), {due_at}, {due_at}, 0, 0 FROM n"
    ).bindparams(bindparam("due", type_=table.c.created_at.type))
    params = {
        "count": count,
        "template": spec.name,
        "version": spec.version,
        "priority": int(spec.priority),
        "region": region,
        "due": due,
    }
    async with engine.begin() as conn:
        await conn.execute(stmt, params)
