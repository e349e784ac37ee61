"""Demo accounts and sample data for `make run` (development only).

After the services are ready, `make run` (tools/stack.py) calls `start_in_background`: it
makes sure, through the services' public HTTP APIs only (never another service's
database), that

- three demo operator accounts exist (`ACCOUNTS`, password `DEMO_PASSWORD` — demo only,
  printed in the README and the banner; never use them outside a development machine);
- the 300 sample PSM candidates of `tools/demo_data.py` are registered (one CSV import;
  skipped when the last of them is already there);
- Kota Depok has one Bimtek Dasar held three weeks ago, completed, with certificates
  (`PAST_TITLE`), and one scheduled in three weeks, open for enrolment (`UPCOMING_TITLE`).

Every step looks first and does only what is missing, so a restart doubles nothing, and a
start interrupted half-way is finished by the next one (a session is taken on from the
state it was left in). `PSM_DEMO=0` skips it; an environment set to production refuses it.

    python -m tools.demo          # against a running `make run` (PSM_VAR_DIR, ports as there)
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from shared.identity import OPERATOR_AUDIENCES
from tools import demo_data

if TYPE_CHECKING:
    from tools.stack import Stack

#: demo only: the README and `make run`'s banner name it; production refuses the demo
DEMO_PASSWORD = "coba-konsol-psm"  # noqa: S105 - a published demo password, development only


@dataclass(frozen=True)
class Account:
    """A demo operator account."""

    email: str
    role: str
    scope: str
    label: str


ACCOUNTS = (
    Account("nasional@psm.example", "national_admin", "national", "admin nasional"),
    Account("jabar@psm.example", "province_operator", "32", "operator Provinsi Jawa Barat"),
    Account("depok@psm.example", "regency_operator", "32.76", "operator Kota Depok"),
)
DEPOK_OPERATOR = ACCOUNTS[2]
PAST_TITLE = "Bimtek Dasar PSM Kota Depok Angkatan I (contoh)"
UPCOMING_TITLE = "Bimtek Dasar PSM Kota Depok Angkatan II (contoh)"
PAST_PARTICIPANTS = 24
UPCOMING_PARTICIPANTS = 10
ENVIRONMENT_VARIABLES = (
    "PSM_ENVIRONMENT",
    "REGISTRY_ENVIRONMENT",
    "TRAINING_ENVIRONMENT",
    "NOTIFICATIONS_ENVIRONMENT",
    "CONSOLE_ENVIRONMENT",
)


class DemoRefused(RuntimeError):
    """The demo data is for development machines only."""


class DemoFailed(RuntimeError):
    """A service refused a step of the seeding (its answer says why)."""


def refuse_in_production(environ: Mapping[str, str]) -> None:
    """Raise DemoRefused when any service's environment is production."""
    named = [k for k in ENVIRONMENT_VARIABLES if environ.get(k, "").lower() == "production"]
    if named:
        raise DemoRefused(
            f"demo accounts and sample data are for development only ({named[0]}=production)"
        )


def enabled(environ: Mapping[str, str]) -> bool:
    """`make run` seeds unless PSM_DEMO is 0/false/no/off."""
    return environ.get("PSM_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")


@dataclass
class Summary:
    """What one seeding did (0 everywhere on a restart)."""

    accounts_created: int = 0
    volunteers_imported: int = 0
    sessions_created: int = 0
    certificates_issued: int = 0
    seconds: float = 0.0
    steps: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the runner's output."""
        if not (self.accounts_created or self.volunteers_imported or self.sessions_created):
            return f"demo data present (checked in {self.seconds:.1f}s)"
        return (
            f"demo data ready in {self.seconds:.1f}s: {self.accounts_created} accounts, "
            f"{self.volunteers_imported} PSM, {self.sessions_created} Bimtek sessions, "
            f"{self.certificates_issued} certificates"
        )


def _ok(response: httpx.Response, what: str, *expected: int) -> Any:
    if response.status_code not in (expected or (200,)):
        # the problem's title and status only: a detail may quote submitted values
        title = ""
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            title = str(response.json().get("title", ""))
        raise DemoFailed(f"{what}: HTTP {response.status_code} {title}".rstrip())
    return response.json() if response.content else None


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Request-Id": f"demo-{uuid.uuid4().hex[:12]}"}


def weekday_on_or_after(day: date, weekday: int) -> date:
    """The first `weekday` (Monday 0) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass
class Seeder:
    """The seeding steps, over one HTTP client per service."""

    registry: httpx.AsyncClient
    training: httpx.AsyncClient
    admin_token: str
    today: date
    wait_s: float = 90.0
    summary: Summary = field(default_factory=Summary)

    async def run(self) -> Summary:
        """Every step, each doing only what is missing."""
        started = time.monotonic()
        await self.accounts()
        await self.people()
        token = await self.login(DEPOK_OPERATOR)
        sessions = await self.sessions(token)
        if sessions.get(PAST_TITLE, {}).get("status") != "completed" or UPCOMING_TITLE not in (
            sessions
        ):
            ids = await self.depok_volunteers(token)
            if len(ids) < PAST_PARTICIPANTS + UPCOMING_PARTICIPANTS:
                raise DemoFailed(f"only {len(ids)} sample PSM of Kota Depok found in registry")
            await self.known_to_training(token, ids[: PAST_PARTICIPANTS + UPCOMING_PARTICIPANTS])
            await self.past_session(token, sessions.get(PAST_TITLE), ids[:PAST_PARTICIPANTS])
            upcoming = ids[PAST_PARTICIPANTS : PAST_PARTICIPANTS + UPCOMING_PARTICIPANTS]
            await self.upcoming_session(token, sessions.get(UPCOMING_TITLE), upcoming)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    # --- registry ------------------------------------------------------------------------

    async def accounts(self) -> None:
        """The demo operator accounts that do not exist yet (by email)."""
        headers = _bearer(self.admin_token)
        page = _ok(
            await self.registry.get("/operators", params={"limit": 1000}, headers=headers),
            "list operators",
        )
        known = {item["email"].lower() for item in page["items"]}
        for account in ACCOUNTS:
            if account.email in known:
                continue
            body = {
                "email": account.email,
                "role": account.role,
                "scope": account.scope,
                "password": DEMO_PASSWORD,
            }
            r = await self.registry.post("/operators", json=body, headers=_bearer(self.admin_token))
            _ok(r, f"create the demo account {account.email}", 201)
            self.summary.accounts_created += 1

    async def people(self) -> None:
        """The sample PSM, in one import, unless the last of them is registered."""
        rows = demo_data.people()
        last = await self.registry.post(
            "/volunteers/search", json={"nik": rows[-1].nik}, headers=_bearer(self.admin_token)
        )
        if _ok(last, "look for the sample PSM")["total"]:
            return  # the import commits in order: the last row there means all are
        headers = _bearer(self.admin_token) | {"Content-Type": "text/csv"}
        report = _ok(
            await self.registry.post(
                "/volunteers/imports",
                params={"filename": "contoh-psm.csv"},
                content=demo_data.as_csv(rows),
                headers=headers,
                timeout=120,
            ),
            "import the sample PSM",
            201,
        )
        self.summary.volunteers_imported = int(report["imported"])

    async def login(self, account: Account) -> str:
        """An access token of a demo account (its real login)."""
        r = await self.registry.post(
            "/auth/login", json={"email": account.email, "password": DEMO_PASSWORD}
        )
        if r.status_code == 401:
            raise DemoFailed(
                f"{account.email} exists with another password: sample sessions not created"
            )
        return str(_ok(r, f"sign in as {account.email}")["access_token"])

    async def depok_volunteers(self, token: str) -> list[str]:
        """Kota Depok's sample people (by name, then id: the same order every time)."""
        niks = {p.nik[-4:] for p in demo_data.people() if p.regency == demo_data.DEPOK}
        page = _ok(
            await self.registry.get(
                "/volunteers",
                params={"region": demo_data.DEPOK, "sort": "full_name", "limit": 500},
                headers=_bearer(token),
            ),
            "list Kota Depok's PSM",
        )
        return [str(v["id"]) for v in page["items"] if v["nik"] and v["nik"][-4:] in niks]

    # --- training ------------------------------------------------------------------------

    async def known_to_training(self, token: str, ids: list[str]) -> None:
        """Wait until training's read model holds them (registry's events, via Kafka)."""
        deadline = time.monotonic() + self.wait_s
        waiting = list(ids)
        while waiting:
            r = await self.training.get(f"/volunteers/{waiting[0]}", headers=_bearer(token))
            if r.status_code == 200:
                waiting.pop(0)
                continue
            if time.monotonic() > deadline:
                raise DemoFailed(f"training did not learn {len(waiting)} sample PSM in time")
            await asyncio.sleep(0.25)

    async def sessions(self, token: str) -> dict[str, dict[str, Any]]:
        """The demo sessions that exist (not cancelled), by title."""
        rows = _ok(await self.training.get("/sessions", headers=_bearer(token)), "list sessions")
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["title"] in (PAST_TITLE, UPCOMING_TITLE) and row["status"] != "cancelled":
                found.setdefault(row["title"], row)
        return found

    async def create_session(self, token: str, title: str, start: date, capacity: int) -> Any:
        """A draft Bimtek Dasar of Dinas Sosial Kota Depok over two days from `start`."""
        body = {
            "course_code": "BIMTEK-DASAR",
            "title": title,
            "organiser_agency": "Dinas Sosial Kota Depok",
            "organiser_region_code": demo_data.DEPOK,
            "venue_name": "Aula Balai Kota Depok",
            "venue_village_code": "32.76.01.1006",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=1)).isoformat(),
            "capacity": capacity,
            "eligible_regions": [demo_data.DEPOK],
            "speakers": [
                {"name": "Narasumber Dinsos Jabar", "institution": "Dinas Sosial Jawa Barat"},
                {"name": "Narasumber Kemensos", "institution": "Kementerian Sosial"},
            ],
            "agenda": [
                {"day": start.isoformat(), "time": "08:00-10:00", "topic": "Peran dan tugas PSM"},
                {"day": start.isoformat(), "time": "10:00-12:00", "topic": "Pendataan PPKS"},
                {
                    "day": (start + timedelta(days=1)).isoformat(),
                    "time": "08:00-12:00",
                    "topic": "Pendampingan dan rujukan",
                },
            ],
        }
        made = _ok(
            await self.training.post("/sessions", json=body, headers=_bearer(token)),
            f"schedule {title}",
            201,
        )
        self.summary.sessions_created += 1
        return made

    async def post(self, token: str, path: str, what: str, body: Any = None) -> Any:
        """POST to training; its answer (DemoFailed when refused)."""
        return _ok(await self.training.post(path, json=body or {}, headers=_bearer(token)), what)

    async def put(self, token: str, path: str, what: str, body: Any) -> Any:
        """PUT to training; its answer (DemoFailed when refused)."""
        return _ok(await self.training.put(path, json=body, headers=_bearer(token)), what)

    async def past_session(
        self, token: str, existing: dict[str, Any] | None, ids: list[str]
    ) -> None:
        """Held three weeks ago on a Tuesday and Wednesday, completed: 24 enrolled, two
        absent on day two, two below the pass mark, the rest certified."""
        start = weekday_on_or_after(self.today - timedelta(days=24), 1)
        row = existing or await self.create_session(token, PAST_TITLE, start, 30)
        sid, status = row["id"], row["status"]
        first = date.fromisoformat(row["start_date"])
        days = [first, first + timedelta(days=1)]
        if status == "draft":
            status = (await self.post(token, f"/sessions/{sid}/open", "open"))["status"]
        if status == "open":
            enrolled = await self.enrolments(token, sid)
            todo = [v for v in ids if v not in enrolled]
            if todo:
                body = {"volunteer_ids": todo}
                await self.post(token, f"/sessions/{sid}/enrolments/bulk", "enrol", body)
            status = (await self.post(token, f"/sessions/{sid}/start", "start"))["status"]
        if status != "in_progress":
            return
        places = list((await self.enrolments(token, sid)).values())
        if not places:
            raise DemoFailed(f"{PAST_TITLE} is in progress with no participants")
        for n, day in enumerate(days):
            marks = [
                {"enrolment_id": e, "status": "absent" if n == 1 and i in (3, 11) else "present"}
                for i, e in enumerate(places)
            ]
            path = f"/sessions/{sid}/attendance/{day.isoformat()}"
            await self.put(token, path, "attendance", {"marks": marks})
        scores = [
            {
                "enrolment_id": e,
                "pre_score": 40 + (i * 7) % 30,
                "post_score": 52 if i in (5, 17) else 65 + (i * 11) % 31,
            }
            for i, e in enumerate(places)
        ]
        await self.put(token, f"/sessions/{sid}/scores", "scores", {"scores": scores})
        done = await self.post(token, f"/sessions/{sid}/complete", "complete")
        self.summary.certificates_issued = int(done["passed"])

    async def upcoming_session(
        self, token: str, existing: dict[str, Any] | None, ids: list[str]
    ) -> None:
        """In three weeks, open for enrolment, ten places taken."""
        start = weekday_on_or_after(self.today + timedelta(days=21), 1)
        row = existing or await self.create_session(token, UPCOMING_TITLE, start, 40)
        sid = row["id"]
        if row["status"] == "draft":
            row = await self.post(token, f"/sessions/{sid}/open", "open")
        if row["status"] == "open" and ids and not await self.enrolments(token, sid):
            body = {"volunteer_ids": ids}
            await self.post(token, f"/sessions/{sid}/enrolments/bulk", "enrol", body)

    async def enrolments(self, token: str, sid: str) -> dict[str, str]:
        """volunteer id -> enrolment id of the session's confirmed places."""
        rows = _ok(
            await self.training.get(f"/sessions/{sid}/enrolments", headers=_bearer(token)),
            "list enrolments",
        )
        return {str(r["volunteer_id"]): str(r["id"]) for r in rows if r["status"] == "confirmed"}


async def seed(
    registry: httpx.AsyncClient,
    training: httpx.AsyncClient,
    *,
    admin_token: str,
    today: date,
    environ: Mapping[str, str] | None = None,
    wait_s: float = 90.0,
) -> Summary:
    """Make sure the demo accounts and sample data exist; returns what was added.

    `admin_token`: a national admin's token (the stack's development key mints one); it
    creates the accounts and imports the people, the Depok operator signs in for the rest.
    """
    refuse_in_production(os.environ if environ is None else environ)
    seeder = Seeder(registry, training, admin_token=admin_token, today=today, wait_s=wait_s)
    return await seeder.run()


def dev_admin_token(stack: Stack) -> str:
    """A national admin's token signed with the stack's development key (tools.devkeys)."""
    from tools import devkeys

    return devkeys.issuer(stack.var_dir).mint(
        subject="demo-seed", role="national_admin", scope="national", audiences=OPERATOR_AUDIENCES
    )


async def seed_stack(stack: Stack, *, wait_s: float = 90.0) -> Summary:
    """`seed` against a running stack's services."""
    refuse_in_production(os.environ)
    async with (
        httpx.AsyncClient(base_url=stack.url("registry"), timeout=30) as registry,
        httpx.AsyncClient(base_url=stack.url("training"), timeout=30) as training,
    ):
        from shared.clock import SYSTEM_CLOCK

        return await seed(
            registry,
            training,
            admin_token=dev_admin_token(stack),
            today=SYSTEM_CLOCK.today(),
            wait_s=wait_s,
        )


def sign_in_lines(stack: Stack) -> list[str]:
    """The banner's lines: where to sign in and as whom (demo only)."""
    return [
        f"  demo sign-in   {stack.url('console')}/masuk   {DEPOK_OPERATOR.email} / "
        f"{DEMO_PASSWORD}  (also {ACCOUNTS[0].email}, {ACCOUNTS[1].email}; demo only)",
    ]


def start_in_background(stack: Stack, say: Any) -> threading.Thread | None:
    """`make run`: seed in a daemon thread (the banner is not held up); None if skipped."""
    if not enabled(os.environ):
        return None
    try:
        refuse_in_production(os.environ)
    except DemoRefused as exc:
        say(f"demo data skipped: {exc}")
        return None

    def work() -> None:
        try:
            say(asyncio.run(seed_stack(stack)).line())
        except (DemoFailed, DemoRefused) as exc:
            say(f"demo data not loaded: {exc}")
        except httpx.HTTPError as exc:  # the stack stopping under it, mostly
            say(f"demo data not loaded: {type(exc).__name__} talking to the services")

    thread = threading.Thread(target=work, name="demo-data", daemon=True)
    thread.start()
    return thread


def main() -> int:
    """`python -m tools.demo`: seed a running `make run` stack."""
    from tools.stack import stack_from_env

    stack = stack_from_env()
    try:
        print(asyncio.run(seed_stack(stack)).line())
    except (DemoFailed, DemoRefused) as exc:
        print(f"demo data not loaded: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
