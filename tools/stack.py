"""The local stack: Apache Kafka, topics, migrations and the three services as processes.

`make run` calls `python -m tools.stack run`: it starts everything, then supervises — a
service that exits is restarted with backoff, a broker that dies is restarted on the same
port and log — until Ctrl-C (or SIGTERM), which stops the services first (gracefully, so
consumers commit and relays flush) and the broker last. The end-to-end tests use `Stack`
directly; tests/ops/test_make_run.py runs the real runner.

Environment of the runner: PSM_VAR_DIR (data: the Kafka log, the SQLite files and the
development token secrets in `secrets/`; default `var/` in the repository), PSM_KAFKA_PORT, PSM_<SERVICE>_PORT
(PSM_CONSOLE_PORT: the console, 8004), PSM_QUIET (services log to
`<var>/<service>.log` instead of the terminal), PSM_DEMO (0: no demo accounts and sample
data; otherwise `tools/demo.py` adds what is missing once the services are ready).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from shared.kafka import ensure_topics
from shared.migrations import upgrade
from tools import demo, devkeys
from tools.broker import KafkaBroker
from tools.procs import die_with_parent, exit_description
from tools.services import PROCESS_NAMES, ROOT, SERVICE_NAMES, SERVICES
from tools.supervisor import Supervisor, say

DEFAULT_PORTS = {"registry": 8001, "training": 8002, "notifications": 8003, "console": 8004}
#: what uvicorn may spend finishing requests on SIGTERM before its lifespan shutdown runs
GRACEFUL_SHUTDOWN_S = 10
#: SIGTERM to exit: uvicorn's grace, then the lifespan (consumers commit, relay flush ≤ 5 s)
SERVICE_STOP_TIMEOUT_S = 25.0


def default_var_dir() -> Path:
    """Where `make run` keeps its data between runs: PSM_VAR_DIR, else `var/`."""
    return Path(os.environ.get("PSM_VAR_DIR") or ROOT / "var").resolve()


@dataclass
class Stack:
    """The whole platform on this machine: Kafka, topics, migrations, the services."""

    var_dir: Path = field(default_factory=default_var_dir)
    broker_port: int | None = 9092
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    extra_env: dict[str, str] = field(default_factory=dict)
    #: service -> database URL; a service not named here gets its SQLite file in var_dir
    databases: dict[str, str] = field(default_factory=dict)
    log_format: str = "console"
    broker: KafkaBroker | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        """The base URL of a service."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def database_url(self, service: str) -> str:
        """The database URL of a service (SQLite in var/ unless overridden)."""
        if service in self.databases:
            return self.databases[service]
        return f"sqlite+aiosqlite:///{self.var_dir / (service + '.db')}"

    def env(self, service: str) -> dict[str, str]:
        """The environment a service process is started with."""
        if service == "console":
            return self.console_env()
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

    def console_env(self) -> dict[str, str]:
        """The console's environment: where the services are, its session secret."""
        return {
            **os.environ,
            "CONSOLE_REGISTRY_URL": self.url("registry"),
            "CONSOLE_TRAINING_URL": self.url("training"),
            "CONSOLE_NOTIFICATIONS_URL": self.url("notifications"),
            "CONSOLE_PUBLIC_BASE_URL": self.url("console"),
            "CONSOLE_LOG_FORMAT": self.log_format,
            **devkeys.stack_env("console", self.var_dir, self.url("registry")),
            **self.extra_env,
        }

    def _links(self, service: str) -> dict[str, str]:
        """How services find each other and trust registry's tokens: registry signs with
        the development key in `<var>/secrets/` (generated on first run, mode 0600) and
        knows each service's client secret; training and notifications fetch its public
        keys, follow its revocations and obtain their own tokens (`tools.devkeys`);
        notifications reads contacts from registry and session texts from training."""
        env = devkeys.stack_env(service, self.var_dir, self.url("registry"))
        if service == "notifications":
            env["NOTIFICATIONS_REGISTRY_URL"] = self.url("registry")
            env["NOTIFICATIONS_TRAINING_URL"] = self.url("training")
            if "console" in self.ports:  # volunteers' page links (a stack may run without it)
                env["NOTIFICATIONS_CONSOLE_URL"] = self.url("console")
        if service == "registry":  # a data-subject export gathers the other two's records
            env["REGISTRY_TRAINING_URL"] = self.url("training")
            env["REGISTRY_NOTIFICATIONS_URL"] = self.url("notifications")
        return env

    def start_broker(self) -> None:
        """Start Apache Kafka (keeping its log between runs)."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.broker = KafkaBroker(port=self.broker_port, workdir=self.var_dir / "kafka").start()

    def create_topics(self) -> None:
        """Create every topic of the catalogue with its configuration."""
        for name in SERVICE_NAMES:
            settings = SERVICES[name].settings(
                kafka_bootstrap_servers=self.broker.bootstrap,  # type: ignore[union-attr]
                log_format=self.log_format,
                log_level="WARNING",
            )
            asyncio.run(ensure_topics(settings, topics_of(name, settings)))

    def migrate(self) -> None:
        """Bring every service's database to its latest migration."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        for name in SERVICE_NAMES:
            upgrade(SERVICES[name].migrations_dir, self.database_url(name))

    def start_service(self, name: str) -> subprocess.Popen[bytes]:
        """Start one service's process. Call it from the main thread: the child's
        parent-death signal fires when the *thread* that forked it ends."""
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
            str(GRACEFUL_SHUTDOWN_S),
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
        log.close()  # the child holds its own descriptor
        self.processes[name] = proc
        return proc

    def is_ready(self, name: str) -> bool:
        """The service's /ready answers 200 (database and broker reachable)."""
        try:
            return httpx.get(self.url(name) + "/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        """Wait until a service's /ready answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes[name]
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {proc.returncode}; see {self.var_dir / (name + '.log')}"
                )
            if self.is_ready(name):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready after {timeout}s")

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        """Stop a service (SIGTERM, or SIGKILL with `kill`)."""
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_services(self, timeout: float = SERVICE_STOP_TIMEOUT_S) -> dict[str, int | None]:
        """SIGTERM every service at once, wait for all (up to `timeout`), SIGKILL the rest.

        Returns each service's exit code; None for one that had to be killed."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        codes: dict[str, int | None] = {}
        for name, proc in list(self.processes.items()):
            try:
                codes[name] = proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes[name] = None
            del self.processes[name]  # only once gone: a forced stop kills those still here
        return codes

    def kill_all(self) -> None:
        """SIGKILL every service and the broker, now (a forced stop)."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.processes.values():
            proc.wait()
        self.processes.clear()
        if self.broker is not None:
            self.broker.kill()

    def start(self) -> Stack:
        """Start everything and wait until every service is ready."""
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
        """Stop the services first, then the broker."""
        self.stop_services()
        if self.broker is not None:
            self.broker.stop()


def topics_of(name: str, settings: object) -> dict[str, int]:
    """The topics a service needs, from its app's runtime (no server started)."""
    module = __import__(f"services.{name}.main", fromlist=["create_app"])
    return dict(module.create_app(settings).state.runtime.topics())


# --- `make run` ----------------------------------------------------------------------------


class _Interrupted(BaseException):
    """The first Ctrl-C / SIGTERM: stop gracefully."""


class _Forced(BaseException):
    """A second Ctrl-C / SIGTERM while stopping: kill everything now."""


def _first_signal(signum: int, frame: FrameType | None) -> None:
    _handle_signals(_second_signal)  # before raising: a quick second Ctrl-C must force
    raise _Interrupted()


def _second_signal(signum: int, frame: FrameType | None) -> None:
    _handle_signals(signal.SIG_IGN)
    raise _Forced()


def _handle_signals(action: Callable[[int, FrameType | None], None] | signal.Handlers) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, action)


def stack_from_env() -> Stack:
    """A Stack configured from the environment (PSM_VAR_DIR, ports)."""
    stack = Stack(
        broker_port=int(os.environ.get("PSM_KAFKA_PORT", "9092")),
        extra_env={"PSM_QUIET": "1"} if os.environ.get("PSM_QUIET") else {},
    )
    for name in PROCESS_NAMES:
        stack.ports[name] = int(os.environ.get(f"PSM_{name.upper()}_PORT", stack.ports[name]))
    return stack


def run() -> int:
    """`make run`: start, supervise until Ctrl-C, stop."""
    started = time.monotonic()
    stack = stack_from_env()
    busy = [p for p in [stack.broker_port, *stack.ports.values()] if p and not _port_free(p)]
    if busy:
        print(
            f"ports already in use: {busy} (another stack running? "
            "set PSM_KAFKA_PORT / PSM_<SERVICE>_PORT)",
            file=sys.stderr,
        )
        return 1
    _handle_signals(_first_signal)
    supervisor = Supervisor(stack)
    failed: str | None = None
    try:
        try:
            _supervise(stack, supervisor, started)
        except _Interrupted:
            pass
        except Exception as exc:  # a start that cannot succeed: say why, stop what runs
            failed = f"{type(exc).__name__}: {exc}"
            print(f"\nmake run failed: {failed}", file=sys.stderr, flush=True)
        _shutdown(stack)
    except _Forced:
        stack.kill_all()
        say("forced stop: services and Kafka killed (a restart recovers from their logs)")
        return 130
    return 1 if failed else 0


def _supervise(stack: Stack, supervisor: Supervisor, started: float) -> None:
    """Start everything, then keep it up; returns only by an exception (Ctrl-C, failure)."""
    kept = "resuming" if (stack.var_dir / "kafka" / "data" / "meta.properties").exists() else "new"
    say(f"starting Apache Kafka on port {stack.broker_port} ({kept} data in {stack.var_dir}) …")
    stack.start_broker()
    stack.migrate()
    say(f"Kafka up, databases migrated after {time.monotonic() - started:.1f}s; services …")
    for name in PROCESS_NAMES:
        stack.start_service(name)
    supervisor.watch_all()
    # While the services boot: the topics with their partitions and retention (a
    # mismatch stops the start here, with its reason, rather than in a restart loop).
    stack.create_topics()
    announced = False
    while True:
        supervisor.tick()
        if not announced and supervisor.all_ready:
            announced = True
            _banner(stack, time.monotonic() - started)
            demo.start_in_background(stack, say)  # demo accounts and sample data (tools/demo.py)
        time.sleep(0.2 if announced else 0.1)


def _banner(stack: Stack, seconds: float) -> None:
    bootstrap = stack.broker.bootstrap if stack.broker else "?"
    print(f"\nPSM platform ready in {seconds:.1f}s (Kafka {bootstrap}, data in {stack.var_dir})")
    for name in SERVICE_NAMES:
        print(
            f"  {name:<14} {stack.url(name)}   docs {stack.url(name)}/docs   events {stack.url(name)}/asyncapi"
        )
    print(f"  {'console':<14} {stack.url('console')}   pages for operators (sign in at /masuk)")
    if demo.enabled(os.environ):
        print(*demo.sign_in_lines(stack), sep="\n")
    print("A service that exits is restarted. Ctrl-C stops everything.\n", flush=True)


def _shutdown(stack: Stack) -> None:
    """Services first (SIGTERM: requests finish, consumers commit, relays flush), then the
    broker (controlled shutdown). A second Ctrl-C raises _Forced out of here."""
    _handle_signals(_second_signal)
    if stack.processes:
        say("stopping the services (Ctrl-C again to force) …")
        for name, code in stack.stop_services().items():
            if code is None:
                say(f"{name} did not stop within {SERVICE_STOP_TIMEOUT_S:.0f}s: killed")
            elif code not in (0, -signal.SIGTERM):  # uvicorn ends by re-raising SIGTERM
                say(f"{name} stopped with {exit_description(code)}; see its log")
    if stack.broker is not None and stack.broker.running:
        say("stopping Kafka …")
        stack.broker.shutdown()
    say("stopped.")


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
        sys.exit(run())
    sys.exit("usage: python -m tools.stack run")
