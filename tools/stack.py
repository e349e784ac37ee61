"""The local stack: Apache Kafka, topics, migrations and the three services as processes.

`make run` calls `python -m tools.stack run`; the end-to-end tests use `Stack` directly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from shared.auth import Role, mint_token
from shared.kafka import ensure_topics
from shared.migrations import upgrade
from tools.broker import KafkaBroker
from tools.procs import die_with_parent
from tools.services import ROOT, SERVICE_NAMES, SERVICES

DEFAULT_PORTS = {"registry": 8001, "training": 8002, "notifications": 8003}


@dataclass
class Stack:
    var_dir: Path = ROOT / "var"
    broker_port: int | None = 9092
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    extra_env: dict[str, str] = field(default_factory=dict)
    #: service -> database URL; a service not named here gets its SQLite file in var_dir
    databases: dict[str, str] = field(default_factory=dict)
    log_format: str = "console"
    broker: KafkaBroker | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def database_url(self, service: str) -> str:
        if service in self.databases:
            return self.databases[service]
        return f"sqlite+aiosqlite:///{self.var_dir / (service + '.db')}"

    def env(self, service: str) -> dict[str, str]:
        p = SERVICES[service].env_prefix
        assert self.broker is not None
        return {
            **os.environ,
            f"{p}DATABASE_URL": self.database_url(service),
            f"{p}KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
            f"{p}LOG_FORMAT": self.log_format,
            f"{p}CONSUMER_SESSION_TIMEOUT_MS": "6000",
            f"{p}CONSUMER_HEARTBEAT_INTERVAL_MS": "500",
            f"{p}RELAY_POLL_INTERVAL_S": "0.2",
            **self._links(service),
            **self.extra_env,
        }

    def _links(self, service: str) -> dict[str, str]:
        """How services find each other: notifications reads contacts from registry's
        internal API with a service token signed by the development key."""
        if service != "notifications":
            return {}
        settings = SERVICES["registry"].settings()
        token = mint_token(
            settings,
            subject="notifications",
            role=Role.SERVICE,
            scope="national",
            ttl=timedelta(days=30),
        )
        return {
            "NOTIFICATIONS_REGISTRY_URL": self.url("registry"),
            "NOTIFICATIONS_REGISTRY_TOKEN": token,
        }

    def start_broker(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.broker = KafkaBroker(port=self.broker_port, workdir=self.var_dir / "kafka").start()

    def create_topics(self) -> None:
        for name in SERVICE_NAMES:
            settings = SERVICES[name].settings(
                kafka_bootstrap_servers=self.broker.bootstrap,  # type: ignore[union-attr]
                log_format=self.log_format,
                log_level="WARNING",
            )
            asyncio.run(ensure_topics(settings, topics_of(name, settings)))

    def migrate(self) -> None:
        for name in SERVICE_NAMES:
            upgrade(SERVICES[name].migrations_dir, self.database_url(name))

    def start_service(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.var_dir / f"{name}.log").open("ab")
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            SERVICES[name].app_factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.ports[name]),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "10",
        ]
        out = None if self.log_format == "console" and not self.extra_env.get("PSM_QUIET") else log
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env(name),
            stdout=out,
            stderr=out or subprocess.STDOUT,
            preexec_fn=die_with_parent,
            # Own session: the terminal's Ctrl-C reaches only this runner, which stops the
            # services first (their relays flush to a broker still up), then the broker.
            start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes[name]
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {proc.returncode}; see {self.var_dir / (name + '.log')}"
                )
            try:
                if httpx.get(self.url(name) + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready after {timeout}s")

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def start(self) -> Stack:
        if self.broker is None:
            self.start_broker()
        self.create_topics()
        self.migrate()
        for name in SERVICE_NAMES:
            self.start_service(name)
        for name in SERVICE_NAMES:
            self.wait_ready(name)
        return self

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_service(name)
        if self.broker is not None:
            self.broker.stop()


def topics_of(name: str, settings: object) -> dict[str, int]:
    """The topics a service needs, from its app's runtime (no server started)."""
    module = __import__(f"services.{name}.main", fromlist=["create_app"])
    return dict(module.create_app(settings).state.runtime.topics())


def run() -> None:
    started = time.monotonic()
    stack = Stack(broker_port=int(os.environ.get("PSM_KAFKA_PORT", "9092")))
    for name in SERVICE_NAMES:
        stack.ports[name] = int(os.environ.get(f"PSM_{name.upper()}_PORT", stack.ports[name]))
    busy = [p for p in [stack.broker_port, *stack.ports.values()] if p and not _port_free(p)]
    if busy:
        sys.exit(
            f"ports already in use: {busy} (another stack running? set PSM_KAFKA_PORT / PSM_<SERVICE>_PORT)"
        )
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        bootstrap = stack.broker.bootstrap if stack.broker else "?"
        print(
            f"\nPSM platform ready in {time.monotonic() - started:.1f}s "
            f"(Kafka {bootstrap}, data in {stack.var_dir})"
        )
        for name in SERVICE_NAMES:
            print(
                f"  {name:<14} {stack.url(name)}   docs {stack.url(name)}/docs   events {stack.url(name)}/asyncapi"
            )
        print("Ctrl-C stops everything.\n", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        died = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"service exited: {', '.join(died)}; stopping the stack", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        stack.stop()
        print("stopped.")


def _port_free(port: int) -> bool:
    """Nothing listens on the port. SO_REUSEADDR as the servers set it: connections of the
    previous run still in TIME_WAIT do not stop a restart (a listener still does)."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


if __name__ == "__main__":
    if sys.argv[1:] == ["run"]:
        run()
    else:
        sys.exit("usage: python -m tools.stack run")
