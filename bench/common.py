"""Shared helpers: a stack in a scratch directory, process memory/CPU, SQLite polling."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.identity import OPERATOR_AUDIENCES, SigningKey
from shared.migrations import upgrade
from tools import devkeys
from tools.broker import DEFAULT_JVM, KafkaBroker, free_port
from tools.procs import die_with_parent
from tools.services import ROOT, SERVICES
from tools.stack import Stack

CLK_TCK = 100
#: The bench's broker runs with the JVM options of `make run` (full JIT, G1), never the
#: tests' quick-start options (C1 only): the baseline is meant to be the broker's ceiling.
BROKER_JVM = DEFAULT_JVM


#: One signing key for the whole benchmark run: every BenchStack's registry signs with it
#: (tools.devkeys prefers the environment to a key file) and `token` mints with it.
os.environ.setdefault("REGISTRY_SIGNING_KEYS", SigningKey.generate().pem().decode())


def token(role: str = "national_admin", scope: str = "national", subject: str = "bench") -> str:
    """An operator token signed with the stack's development key (tools.devkeys)."""
    return devkeys.issuer(ROOT / "var").mint(
        subject=subject, role=role, scope=scope, audiences=OPERATOR_AUDIENCES
    )


def auth(role: str = "national_admin", scope: str = "national") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, scope)}"}


# --- processes -------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set since it started."""
    return round(_status_kb(pid, "VmHWM") / 1024, 1)


def rss_mb(pid: int) -> float:
    return round(_status_kb(pid, "VmRSS") / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / CLK_TCK


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


class Sampler:
    """Samples the RSS of the children of each watched process (e.g. the importer's worker),
    whose peak VmHWM is lost when they exit."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5) -> None:
        self.pids = pids
        self.interval = interval
        self.child_peak_mb: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            for name, pid in self.pids.items():
                for child in children(pid):
                    self.child_peak_mb[name] = max(self.child_peak_mb[name], rss_mb(child))
            await asyncio.sleep(self.interval)

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


# --- the stack ---------------------------------------------------------------------------


@dataclass
class BenchStack:
    """Apache Kafka + the services as real processes in a scratch directory, on free ports."""

    var_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    #: {service: URL} to run on PostgreSQL instead of the SQLite files in var_dir
    database_urls: dict[str, str] | None = None
    stack: Stack = field(init=False)
    extra: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _engines: dict[str, AsyncEngine] = field(default_factory=dict)

    def __post_init__(self) -> None:
        urls = {
            f"{SERVICES[s].env_prefix}DATABASE_URL": url
            for s, url in (self.database_urls or {}).items()
        }
        self.stack = Stack(
            var_dir=self.var_dir,
            broker_port=None,
            ports={n: free_port() for n in SERVICES},
            log_format="json",
            extra_env={"PSM_QUIET": "1", **urls, **self.extra_env},
        )

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_urls else "sqlite"

    async def count(self, service: str, sql: str) -> int:
        """A count from a service's database (SQLite read-only, or PostgreSQL)."""
        if not self.database_urls:
            return await asyncio.to_thread(count, self.db(service), sql)
        engine = self._engines.get(service)
        if engine is None:
            engine = self._engines[service] = create_async_engine(self.database_urls[service])
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(text(sql))).scalar_one())
        except DBAPIError:
            return 0

    async def dispose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()

    @property
    def broker(self) -> KafkaBroker:
        assert self.stack.broker is not None
        return self.stack.broker

    def db(self, service: str) -> Path:
        return self.var_dir / f"{service}.db"

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def start(
        self, services: tuple[str, ...] = tuple(SERVICES), *, profile: tuple[str, ...] = ()
    ) -> BenchStack:
        """Broker, topics, migrations, services; those in `profile` run under cProfile and
        write `<var_dir>/<name>.prof` when they stop gracefully."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.stack.broker = KafkaBroker(
            workdir=self.var_dir / "kafka", jvm_options=BROKER_JVM
        ).start()
        self.stack.create_topics()
        if self.database_urls:
            for name, url in self.database_urls.items():
                upgrade(SERVICES[name].migrations_dir, url)
        else:
            self.stack.migrate()
        for name in services:
            if name in profile:
                self.launch(name, name, port=self.stack.ports[name], profile=True, wait=False)
            else:
                self.stack.start_service(name)
        for name in services:
            if name in profile:
                self._wait(name, self.stack.ports[name])
            else:
                self.stack.wait_ready(name, timeout=60)
        return self

    def start_instance(self, service: str, instance: str) -> int:
        """Another process of a service (same database, same consumer group), own port."""
        return self.launch(service, instance, port=free_port())

    def launch(
        self, service: str, instance: str, *, port: int, profile: bool = False, wait: bool = True
    ) -> int:
        log = (self.var_dir / f"{instance}.log").open("ab")
        factory = SERVICES[service].app_factory
        if profile:
            out = str(self.var_dir / f"{instance}.prof")
            cmd = [sys.executable, "-m", "bench.profiled", out, factory, str(port)]
        else:
            cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1"]
            cmd += ["--port", str(port), "--no-access-log"]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.stack.env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        self.extra[instance] = proc
        if wait:
            self._wait(instance, port)
        return proc.pid

    def _wait(self, instance: str, port: int) -> None:
        proc = self.extra[instance]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{instance} exited; see {self.var_dir / (instance + '.log')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{instance} not ready")

    def pids(self) -> dict[str, int]:
        out = {n: p.pid for n, p in self.stack.processes.items()}
        out.update({n: p.pid for n, p in self.extra.items()})
        return out

    def stop(self, *, graceful: bool = False) -> None:
        """Kill everything (fast: the data is scratch) unless `graceful` (a profiled process
        writes its profile only when it stops gracefully)."""
        for proc in self.extra.values():
            if graceful:
                proc.terminate()
            else:
                proc.kill()
        for proc in self.extra.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.extra.clear()
        for name in list(self.stack.processes):
            self.stack.stop_service(name, kill=not graceful)
        if self.stack.broker is not None:
            self.stack.broker.stop()

    def __enter__(self) -> BenchStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- SQLite, read-only -------------------------------------------------------------------


@contextlib.contextmanager
def readonly(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def count(path: Path, sql: str) -> int:
    if not path.exists():
        return 0
    try:
        with readonly(path) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_utc(value: Any) -> datetime:
    """A timestamp column (SQLite stores naive UTC text) as an aware datetime."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
