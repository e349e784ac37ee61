"""Apache Kafka (KRaft, one node) from Maven Central, run with the machine's JDK.

`make run`, the tests and the benchmarks all start the broker through `KafkaBroker`; its
jars come from `tools.kafka_jars` (Maven Central, cached), a secured broker's ACLs from
`tools.broker_acl`.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.kafka_jars import LOG4J, cache_dir, classpath
from tools.procs import die_with_parent

STARTED_MARKER = "Kafka Server started"
# Quick to start, modest on memory: enough for one node under tests and `make run`.
DEFAULT_JVM = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20")
# The test brokers start dozens of times per run: C1 only and the serial collector start
# them with about half the CPU (measured: 3 vs 5 CPU-seconds) at no cost that tests notice.
QUICK_START_JVM = ("-Xms128m", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def free_port() -> int:
    """A free port for a server to bind later, below Linux's ephemeral range (32768–60999).

    Why not bind port 0: that port comes from the ephemeral range, where every outgoing
    connection (Kafka clients, HTTP clients) also takes its local port, so one of them could
    take it before the server binds it (seen: a service exiting with 'address already in use').
    """
    for _ in range(200):
        port = random.randint(20000, 32000)  # noqa: S311 - a port number, not a secret
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def wait_for_port(port: int, timeout: float) -> None:
    """Wait until something listens on the loopback port, or raise after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class ScramUser:
    """A SASL/SCRAM user of a secured broker."""

    name: str
    password: str


@dataclass
class KafkaBroker:
    """One Apache Kafka node (broker and controller) on 127.0.0.1.

    `workdir` holds `data/` (the log), `server.properties` and `server.log`. Given a
    workdir, the log survives stop/start (what `make run` uses); without one, a temporary
    directory is used and removed on stop. With `scram_users`, the client listener is
    SASL_PLAINTEXT with SCRAM-SHA-512 and the StandardAuthorizer; the first user is the
    super user that creates topics and ACLs.
    """

    port: int | None = None
    workdir: Path | None = None
    scram_users: list[ScramUser] = field(default_factory=list)
    jvm_options: tuple[str, ...] = DEFAULT_JVM
    process: subprocess.Popen[bytes] | None = None
    controller_port: int = 0
    _own_dir: bool = False

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        if self.workdir is None:
            self._own_dir = True
            self.workdir = Path(tempfile.mkdtemp(prefix="kafka-"))

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients connect to."""
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        """The broker's log directory."""
        assert self.workdir is not None
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        """The broker process's own log file."""
        assert self.workdir is not None
        return self.workdir / "server.log"

    @property
    def secured(self) -> bool:
        """Whether clients must authenticate (SCRAM users were given)."""
        return bool(self.scram_users)

    def properties(self) -> str:
        """The server.properties of this node."""
        protocol = "SASL_PLAINTEXT" if self.secured else "PLAINTEXT"
        lines = [
            "process.roles=broker,controller",
            "node.id=1",
            f"listeners={protocol}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners={protocol}://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            f"listener.security.protocol.map={protocol}:{protocol},CONTROLLER:PLAINTEXT",
            f"inter.broker.listener.name={protocol}",
            # Static voters: the controller's port may change between runs of `make run`.
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"log.dirs={self.data_dir}",
            "auto.create.topics.enable=false",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # After a crash the restarted node waits out its previous registration's session
            # before it serves (about 16 s at the default 9 s); one node needs no slack.
            "broker.session.timeout.ms=3000",
            "broker.heartbeat.interval.ms=500",
            "log.segment.bytes=67108864",
            # Flush on the OS's schedule like production, but stop cleanly fast on SIGTERM.
            "controlled.shutdown.enable=true",
        ]
        if self.secured:
            admin = self.scram_users[0]
            lines += [
                "sasl.enabled.mechanisms=SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                f"listener.name.{protocol.lower()}.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="{admin.name}" password="{admin.password}";',
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                # The controller listener is loopback-only and unauthenticated: the node
                # talks to its own controller as ANONYMOUS.
                f"super.users=User:{admin.name};User:ANONYMOUS",
                "allow.everyone.if.no.acl.found=false",
            ]
        return "\n".join(lines) + "\n"

    def _java(self, main: str, *args: str, jvm: tuple[str, ...] = ()) -> list[str]:
        return [
            "java",
            *jvm,
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{LOG4J}",
            "-cp",
            classpath(),
            main,
            *args,
        ]

    def _format(self, config: Path) -> None:
        """Format the log directory once; a formatted directory is kept as it is."""
        if (self.data_dir / "meta.properties").exists():
            return
        if not self.secured:
            template = _formatted_template()
            shutil.copytree(template, self.data_dir, dirs_exist_ok=True)
            return
        args = ["format", "-t", _cluster_id(), "-c", str(config), "--ignore-formatted"]
        for user in self.scram_users:
            args += ["--add-scram", f"SCRAM-SHA-512=[name={user.name},password={user.password}]"]
        _run_checked(self._java("kafka.tools.StorageTool", *args, jvm=QUICK_START_JVM))

    def start(self, timeout: float = 60.0) -> KafkaBroker:
        """Start the node and wait until it serves clients."""
        assert self.workdir is not None
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "server.properties"
        config.write_text(self.properties())
        self._format(config)
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(config), jvm=self.jvm_options),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
            start_new_session=True,  # Ctrl-C reaches its owner, which stops it last
        )
        log.close()
        self._wait_started(offset, timeout)
        return self

    def _wait_started(self, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Apache Kafka exited with code {self.process.returncode}; "
                    f"last lines of {self.log_path}:\n{self.tail()}"
                )
            with self.log_path.open("rb") as f:
                f.seek(offset)
                if STARTED_MARKER.encode() in f.read():
                    wait_for_port(self.port or 0, 5)
                    return
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"Apache Kafka not started after {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        """The last lines of the broker's log (for error messages)."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): clients see an unreachable broker, state is kept."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Continue a paused broker (SIGCONT)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash would: the log on disk is all that remains."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the broker cleanly (SIGTERM: controlled shutdown, logs flushed)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self, *, crash: bool = False, timeout: float = 60.0) -> KafkaBroker:
        """Stop (cleanly, or by SIGKILL) and start again on the same ports and log."""
        self.kill() if crash else self.shutdown()
        return self.start(timeout)

    def stop(self) -> None:
        """Shut down; a temporary broker also removes its directory."""
        self.shutdown()
        if self._own_dir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def wipe(self) -> None:
        """Delete the log (the broker must be stopped): a broker that lost its state."""
        assert not self.running, "stop the broker before wiping its log"
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 chars)."""
    import base64
    import uuid

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _run_checked(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:1] + cmd[-6:])} failed:\n{result.stdout}{result.stderr}"
        )


def _formatted_template() -> Path:
    """A log directory formatted once per cache: copying it saves a JVM start per broker."""
    template = cache_dir() / "formatted"
    if (template / "meta.properties").exists():
        return template
    staging = Path(tempfile.mkdtemp(prefix="formatted-", dir=cache_dir()))
    config = staging / "format.properties"
    probe = KafkaBroker(port=1, controller_port=2, workdir=staging)
    config.write_text(probe.properties())  # its log.dirs is staging/data
    _run_checked(
        probe._java(
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(config),
            jvm=QUICK_START_JVM,
        )
    )
    with contextlib.suppress(OSError):  # a concurrent process won the race: use theirs
        (staging / "data").rename(template)
    shutil.rmtree(staging, ignore_errors=True)
    return template
