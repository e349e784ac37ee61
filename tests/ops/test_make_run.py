"""`make run` supervises: the real runner (`python -m tools.stack run`) as a subprocess, in a
scratch PSM_VAR_DIR on free ports. Ctrl-C in the middle of an import's event flow and a
kill -9 of a service lose no volunteer and double none (history checked in the databases)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bench.samples.generate import write
from tests.builders import auth_headers
from tools.broker import free_port
from tools.procs import die_with_parent
from tools.services import PROCESS_NAMES, ROOT, SERVICE_NAMES, SERVICES

pytestmark = [pytest.mark.e2e, pytest.mark.broker, pytest.mark.fault]

ROWS = 1500
PYTHON = ROOT / ".venv" / "bin" / "python"
WELCOME = "registration-received"  # notifications' ledger template for a new registration
T = TypeVar("T")


def until(check: Callable[[], T], *, timeout: float, message: str, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout}s: {message}")


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read a service's SQLite file while the service may be writing it."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return []


def ids(db: Path, sql: str) -> list[uuid.UUID]:
    """UUIDs from a column (SQLite keeps them as 32 hex digits; uuid.UUID reads both)."""
    return [uuid.UUID(str(row[0])) for row in query(db, sql)]


@dataclass
class Runner:
    """`python -m tools.stack run` in its own var dir, as `make run` starts it."""

    var_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: {n: free_port() for n in PROCESS_NAMES})
    kafka_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    output: Path = field(init=False)
    #: the demo accounts and sample data (tools/demo.py); off where volunteers are counted
    demo: bool = False

    def __post_init__(self) -> None:
        self.output = self.var_dir.parent / f"{self.var_dir.name}-runner.out"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PSM_VAR_DIR": str(self.var_dir),
            "PSM_KAFKA_PORT": str(self.kafka_port),
            "PSM_QUIET": "1",  # services log into var/<service>.log, the runner's lines stay short
            # the import commits in several transactions, so a Ctrl-C can land between two
            "REGISTRY_IMPORT_CHUNK_SIZE": "250",
            "PSM_DEMO": "1" if self.demo else "0",
        }
        env.update({f"PSM_{n.upper()}_PORT": str(p) for n, p in self.ports.items()})
        return env

    def start(self) -> float:
        """Start the runner; returns the ready time it printed."""
        offset = self.output.stat().st_size if self.output.exists() else 0
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(PYTHON), "-m", "tools.stack", "run"],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # a dying pytest stops the runner (gracefully)
            )

        def ready() -> float | None:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"runner exited ({self.proc.returncode}):\n{self.text()}")
            found = re.search(r"ready in ([\d.]+)s", self.text()[offset:])
            return float(found.group(1)) if found else None

        # four services now (the console too), on 2 cores shared with other tests
        return until(ready, timeout=90, message="the runner printed 'ready in'", every=0.2)

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C: SIGINT to the runner, then wait for it to exit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def db(self, service: str) -> Path:
        return self.var_dir / f"{service}.db"

    def children(self) -> dict[int, str]:
        """Live processes started for this var dir (Kafka, services, their helpers), by the
        PSM_VAR_DIR they inherited: pid -> command line."""
        marker = f"PSM_VAR_DIR={self.var_dir}".encode()
        found = {}
        own = self.proc.pid if self.proc else -1
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in (own, os.getpid()):
                continue
            try:
                if marker not in (entry / "environ").read_bytes().split(b"\0"):
                    continue
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if status != "Z":
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
        return {pid: cmd.decode(errors="replace") for pid, cmd in found.items()}

    def pid_of(self, what: str) -> int:
        """The pid of a service (`training`) or of Kafka (`kafka.Kafka`)."""
        needle = what if "." in what else f"services.{what}.main"
        [pid] = [p for p, cmd in self.children().items() if needle in cmd]
        return pid

    def cleanup(self) -> None:
        """After a test: a runner still up is stopped like a user would, leftovers killed."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.interrupt(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self.children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    r = Runner(var_dir=tmp_path / "var")
    try:
        yield r
    finally:
        r.cleanup()


def import_volunteers(runner: Runner, csv_path: Path) -> dict[str, Any]:
    headers = auth_headers(SERVICES["registry"].settings()) | {"Content-Type": "text/csv"}
    response = httpx.post(
        runner.url("registry") + "/volunteers/imports",
        params={"filename": csv_path.name},
        content=csv_path.read_bytes(),
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()
    return report


def counts(runner: Runner) -> dict[str, int]:
    registry = query(runner.db("registry"), "select count(*) from volunteers")
    training = query(runner.db("training"), "select count(*) from known_volunteers")
    ledger = query(
        runner.db("notifications"),
        f"select count(*) from notifications where template = '{WELCOME}'",
    )
    return {
        "registry": registry[0][0] if registry else 0,
        "training": training[0][0] if training else 0,
        "ledger": ledger[0][0] if ledger else 0,
    }


def assert_each_volunteer_once(runner: Runner, label: str) -> None:
    """Every volunteer registry accepted is once in training's read model and once in
    notifications' ledger: 0 lost, 0 doubled."""
    accepted = ids(runner.db("registry"), "select id from volunteers")
    assert len(accepted) == ROWS

    def caught_up() -> bool:
        c = counts(runner)
        return c["training"] >= ROWS and c["ledger"] >= ROWS

    until(caught_up, timeout=180, message=f"the consumers caught up: {counts(runner)}")
    training = ids(runner.db("training"), "select volunteer_id from known_volunteers")
    ledger = ids(
        runner.db("notifications"),
        f"select recipient_id from notifications where template = '{WELCOME}'",
    )
    lost = {
        "training": len(set(accepted) - set(training)),
        "ledger": len(set(accepted) - set(ledger)),
    }
    doubled = {
        "training": len(training) - len(set(training)),
        "ledger": len(ledger) - len(set(ledger)),
    }
    print(
        f"\n{label}: accepted {len(accepted)}, training {len(training)}, ledger {len(ledger)}; "
        f"lost {lost}, doubled {doubled}"
    )
    assert set(training) == set(accepted) and set(ledger) == set(accepted)
    assert lost == {"training": 0, "ledger": 0} and doubled == {"training": 0, "ledger": 0}


def test_ctrl_c_during_an_import_stops_cleanly_and_a_restart_loses_and_doubles_nothing(
    runner: Runner, tmp_path: Path
):
    csv_path = write(tmp_path / "ntb.csv", "52", ROWS)
    first = runner.start()

    result: dict[str, Any] = {}
    importing = threading.Thread(
        target=lambda: result.update(report=import_volunteers(runner, csv_path))
    )
    importing.start()
    # Ctrl-C once the first chunks are committed: the import request is in flight, events
    # are in the outbox, on the topic and in the consumers, none of it finished.
    until(
        lambda: counts(runner)["registry"] >= 250,
        timeout=30,
        message="the import committed its first chunk",
        every=0.02,
    )
    at_interrupt = counts(runner)
    code = runner.interrupt()
    importing.join(30)
    unpublished = query(
        runner.db("registry"), "select count(*) from outbox where published_at is null"
    )
    print(
        f"\nCtrl-C at {at_interrupt}; runner exited {code}; first start ready in {first}s; "
        f"left in registry's outbox for the next start: {unpublished[0][0] if unpublished else '?'}"
    )

    assert code == 0, runner.text()
    assert result["report"]["imported"] == ROWS  # the in-flight request finished
    assert runner.children() == {}, "Kafka or a service outlived the runner"
    out = runner.text()
    assert "stopping the services" in out and out.rstrip().endswith("stopped.")
    assert out.index("stopping the services") < out.index("stopping Kafka")
    assert "Traceback" not in out
    for name in SERVICE_NAMES:
        log = (runner.var_dir / f"{name}.log").read_text(errors="replace")
        assert "service stopped" in log, f"{name}'s lifespan shutdown did not complete"
        assert "Traceback" not in log, f"{name} logged a traceback:\n{log[-3000:]}"

    again = runner.start()
    print(f"restart with data present ready in {again}s")
    assert "resuming data" in runner.text()
    assert_each_volunteer_once(runner, "after Ctrl-C and restart")


def test_a_service_and_kafka_killed_with_sigkill_come_back_by_themselves_and_nothing_is_lost(
    runner: Runner, tmp_path: Path
):
    csv_path = write(tmp_path / "ntb.csv", "52", ROWS)
    runner.start()
    report = import_volunteers(runner, csv_path)
    assert report["imported"] == ROWS
    until(
        lambda: counts(runner)["training"] >= 1,
        timeout=30,
        message="training applies the import's events",
        every=0.02,
    )
    victim, kafka = runner.pid_of("training"), runner.pid_of("kafka.Kafka")
    at_kill = counts(runner)
    os.kill(kafka, signal.SIGKILL)
    os.kill(victim, signal.SIGKILL)
    print(f"\nkill -9 training (pid {victim}) and Kafka (pid {kafka}) at {at_kill}")

    until(
        lambda: "training ready again" in runner.text() and "Kafka is back" in runner.text(),
        timeout=60,
        message="the runner restarted Kafka and training, and training is ready",
    )
    out = runner.text()
    assert re.search(r"Kafka exited \(code -9 \(SIGKILL\)\); restarting it on 127\.0\.0\.1:", out)
    assert re.search(
        r"training exited \(code -9 \(SIGKILL\)\) after [\d.]+s; restarting it in 1s", out
    )
    assert runner.pid_of("kafka.Kafka") != kafka and runner.pid_of("training") != victim
    for name in SERVICE_NAMES:  # the others rode it out: same processes, ready again
        until(
            lambda n=name: httpx.get(runner.url(n) + "/ready", timeout=5).status_code == 200,  # type: ignore[misc]
            timeout=30,
            message=f"{name} ready",
        )
    assert "registry exited" not in out and "notifications exited" not in out
    assert "stopping" not in out  # nothing was stopped because of it
    assert_each_volunteer_once(runner, "after kill -9 of training and Kafka")

    # A second Ctrl-C while the services stop forces: everything is killed at once.
    assert runner.proc is not None
    runner.proc.send_signal(signal.SIGINT)
    until(lambda: "stopping the services" in runner.text(), timeout=10, message="stopping")
    runner.proc.send_signal(signal.SIGINT)
    assert runner.proc.wait(30) == 130
    assert "forced stop" in runner.text() and "Traceback" not in runner.text()
    until(lambda: runner.children() == {}, timeout=10, message="everything killed")


def demo_counts(runner: Runner) -> dict[str, int]:
    def one(service: str, table: str) -> int:
        rows = query(runner.db(service), f"select count(*) from {table}")
        return int(rows[0][0]) if rows else 0

    return {
        "operators": one("registry", "operators"),
        "volunteers": one("registry", "volunteers"),
        "sessions": one("training", "sessions"),
        "enrolments": one("training", "enrolments"),
        "certificates": one("training", "certificates"),
    }


def test_make_run_prints_the_console_and_the_demo_sign_in_and_seeds_the_demo_once(
    tmp_path: Path,
):
    from tools import demo

    runner = Runner(var_dir=tmp_path / "var", demo=True)
    try:
        runner.start()
        banner = runner.text()
        assert f"console        {runner.url('console')}" in banner
        assert f"{runner.url('console')}/masuk   {demo.DEPOK_OPERATOR.email} / " in banner
        assert demo.DEMO_PASSWORD in banner
        until(
            lambda: "demo data ready" in runner.text() or "demo data not" in runner.text(),
            timeout=120,
            message="the demo data was loaded",
            every=0.5,
        )
        assert "demo data ready" in runner.text(), runner.text()
        seeded = demo_counts(runner)
        print(f"\nafter the first start: {seeded}; {runner.text().splitlines()[-1]}")
        assert seeded["operators"] == 3 and seeded["volunteers"] == 300
        assert seeded["sessions"] == 2 and seeded["certificates"] == demo.PAST_PARTICIPANTS - 4
        login = httpx.post(
            runner.url("registry") + "/auth/login",
            json={"email": demo.DEPOK_OPERATOR.email, "password": demo.DEMO_PASSWORD},
            timeout=10,
        )
        assert login.status_code == 200
        assert httpx.get(runner.url("console") + "/masuk", timeout=10).status_code == 200
        assert runner.interrupt() == 0

        runner.start()
        until(
            lambda: "demo data present" in runner.text() or "demo data not" in runner.text(),
            timeout=60,
            message="the restart checked the demo data",
            every=0.5,
        )
        assert "demo data present" in runner.text(), runner.text()
        assert demo_counts(runner) == seeded
        assert "Traceback" not in runner.text()
    finally:
        runner.cleanup()
