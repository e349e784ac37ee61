"""Apache Kafka (KRaft, one node) from Maven Central, run with the machine's JDK.

`make run`, the tests and the benchmarks all start the broker through `KafkaBroker`.
The jars are resolved once from `tools/kafka/pom.xml` into a cache outside the repository
(`PSM_KAFKA_CACHE`, default `~/.cache/psm-platform/kafka`) and reused when present.
A secured broker (`scram_users`) gets its ACLs from `create_acls` (users.yaml's shape via
`strimzi_acl_bindings`); `client_kwargs` connects aiokafka clients as any of its users.

    python -m tools.broker check   # java >= 17 and mvn present? (exit 1 naming what is missing)
    python -m tools.broker fetch   # the check, then resolve the jars into the cache
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.admin import CreateAclsRequest, CreateAclsRequest_v1, DescribeAclsRequest

from tools.procs import die_with_parent

HERE = Path(__file__).resolve().parent / "kafka"
POM = HERE / "pom.xml"
LOG4J = HERE / "log4j.properties"
KAFKA_VERSION = re.search(
    r"<artifactId>kafka_2\.13</artifactId>\s*<version>([^<]+)</version>", POM.read_text()
).group(1)  # type: ignore[union-attr]
MIN_JAVA = 17
STARTED_MARKER = "Kafka Server started"
# Quick to start, modest on memory: enough for one node under tests and `make run`.
DEFAULT_JVM = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20")
# The test brokers start dozens of times per run: C1 only and the serial collector start
# them with about half the CPU (measured: 3 vs 5 CPU-seconds) at no cost that tests notice.
QUICK_START_JVM = ("-Xms128m", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class MissingPrerequisiteError(RuntimeError):
    """The JDK or Maven is missing or too old; the message says exactly what to install."""


def cache_dir() -> Path:
    base = os.environ.get("PSM_KAFKA_CACHE") or str(Path.home() / ".cache/psm-platform/kafka")
    digest = hashlib.sha1(POM.read_bytes()).hexdigest()[:10]
    return Path(base) / f"{KAFKA_VERSION}-{digest}"


def java_version(java: str = "java") -> int | None:
    """The major version `java -version` reports, or None when there is no java."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_prerequisites(*, need_maven: bool) -> None:
    problems = []
    version = java_version()
    if version is None:
        problems.append(
            f"`java` (JDK {MIN_JAVA} or newer) is not on PATH — install it, e.g. "
            f"`apt-get install openjdk-{MIN_JAVA}-jdk-headless`"
        )
    elif version < MIN_JAVA:
        problems.append(f"`java` is version {version}; Apache Kafka here needs {MIN_JAVA} or newer")
    if need_maven and shutil.which("mvn") is None:
        problems.append(
            "`mvn` (Apache Maven) is not on PATH — it fetches the Kafka jars from Maven Central; "
            "install it, e.g. `apt-get install maven`"
        )
    if problems:
        raise MissingPrerequisiteError("cannot run Apache Kafka: " + "; ".join(problems))


def libs_dir() -> Path:
    """The broker's jars, resolved from Maven Central on first use (then reused)."""
    libs = cache_dir() / "libs"
    if (libs / ".complete").exists():
        check_prerequisites(need_maven=False)
        return libs
    check_prerequisites(need_maven=True)
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=libs.parent))
    print(f"fetching Apache Kafka {KAFKA_VERSION} from Maven Central into {libs} …", flush=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(
            f"mvn could not resolve Apache Kafka {KAFKA_VERSION} from Maven Central:\n"
            + (result.stdout + result.stderr)[-3000:]
        )
    (staging / ".complete").touch()
    with contextlib.suppress(OSError):  # another process finished first: keep theirs
        staging.rename(libs)
    shutil.rmtree(staging, ignore_errors=True)
    return libs


def classpath() -> str:
    return str(libs_dir() / "*")


def free_port() -> int:
    """A free port for a server to bind later, below Linux's ephemeral range (32768–60999).

    Why not bind port 0: that port comes from the ephemeral range, where every outgoing
    connection (Kafka clients, HTTP clients) also takes its local port, so one of them could
    take it before the server binds it (seen: a service exiting with 'address already in use').
    """
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def wait_for_port(port: int, timeout: float) -> None:
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
        return f"127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "data"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "server.log"

    @property
    def secured(self) -> bool:
        return bool(self.scram_users)

    def properties(self) -> str:
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
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): clients see an unreachable broker, state is kept."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
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


# --- ACLs on a secured broker (SASL/SCRAM-SHA-512 and the StandardAuthorizer) ---------------

#: Kafka's wire codes (org.apache.kafka.common.resource / .acl), by the names Strimzi uses.
_RESOURCE_TYPES = {"any": 1, "topic": 2, "group": 3, "cluster": 4, "transactionalId": 5}
_PATTERN_TYPES = {"any": 1, "literal": 3, "prefix": 4}
_OPERATIONS = {
    "Any": 1,
    "All": 2,
    "Read": 3,
    "Write": 4,
    "Create": 5,
    "Delete": 6,
    "Alter": 7,
    "Describe": 8,
    "ClusterAction": 9,
    "DescribeConfigs": 10,
    "AlterConfigs": 11,
    "IdempotentWrite": 12,
}
_ALLOW = 3
_ANY = 1


@dataclass(frozen=True)
class AclBinding:
    """One ALLOW rule: `principal` (e.g. "User:registry") may do `operation` on a resource."""

    principal: str
    resource_type: str  # "topic", "group", "cluster", "transactionalId"
    name: str
    operation: str  # "Read", "Write", "Describe", "Create", "IdempotentWrite", …
    pattern: str = "literal"  # or "prefix"
    host: str = "*"


def strimzi_acl_bindings(user: str, acls: list[dict[str, object]]) -> list[AclBinding]:
    """The bindings a Strimzi KafkaUser's `spec.authorization.acls` (type simple) stands for."""
    out = []
    for acl in acls:
        resource = acl["resource"]
        assert isinstance(resource, dict)
        operations = acl.get("operations") or [acl["operation"]]
        assert isinstance(operations, list)
        for operation in operations:
            out.append(
                AclBinding(
                    principal=f"User:{user}",
                    resource_type=str(resource["type"]),
                    name=str(resource.get("name", "kafka-cluster")),
                    operation=str(operation),
                    pattern=str(resource.get("patternType", "literal")),
                    host=str(acl.get("host", "*")),
                )
            )
    return out


def client_kwargs(broker: KafkaBroker, user: ScramUser | None = None) -> dict[str, object]:
    """aiokafka connection arguments for `user` (default: the super user) on `broker`."""
    kwargs: dict[str, object] = {"bootstrap_servers": broker.bootstrap}
    if broker.secured:
        user = user or broker.scram_users[0]
        kwargs |= {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": user.name,
            "sasl_plain_password": user.password,
        }
    return kwargs


async def create_acls(broker: KafkaBroker, bindings: list[AclBinding]) -> None:
    """Create `bindings` as the super user, in one CreateAcls request (no JVM started).

    Why not `kafka.admin.AclCommand`: each run starts a JVM (1–2 s and a core); aiokafka
    ships the CreateAcls protocol but no admin method for it, so the request is sent here.
    """
    if not bindings:
        return
    response = await _send(broker, _CreateAclsBatch(bindings))
    failed = [
        f"{b}: error {code} {message}"
        for b, (code, message) in zip(bindings, response.creation_responses, strict=True)
        if code != 0
    ]
    if failed:
        raise RuntimeError("CreateAcls refused: " + "; ".join(failed))


async def describe_acls(broker: KafkaBroker) -> set[AclBinding]:
    """Every ALLOW binding the broker holds, read as the super user."""
    request = DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY)  # type: ignore[arg-type]
    response = await _send(broker, request)
    if response.error_code:
        raise RuntimeError(f"DescribeAcls: error {response.error_code} {response.error_message}")
    types = {v: k for k, v in _RESOURCE_TYPES.items()}
    patterns = {v: k for k, v in _PATTERN_TYPES.items()}
    operations = {v: k for k, v in _OPERATIONS.items()}
    return {
        AclBinding(
            principal=principal,
            resource_type=types[resource_type],
            name=name,
            operation=operations[operation],
            pattern=patterns[pattern],
            host=host,
        )
        for resource_type, name, pattern, acls in response.resources
        for principal, host, operation, permission in acls
        if permission == _ALLOW
    }


async def _send(broker: KafkaBroker, request: Any) -> Any:
    client = AIOKafkaClient(**client_kwargs(broker))  # type: ignore[arg-type]
    await client.bootstrap()
    try:
        return await client.send(client.get_random_node(), request)
    finally:
        await client.close()


class _CreateAclsBatch(CreateAclsRequest):
    """aiokafka's CreateAclsRequest carries one binding; this one carries many at once."""

    def __init__(self, bindings: list[AclBinding]) -> None:
        self._bindings = bindings

    def build(self, request_struct_class: type[Any]) -> Any:
        if request_struct_class is not CreateAclsRequest_v1:
            raise RuntimeError("the broker does not speak CreateAcls v1 (Kafka 2.0 or newer)")
        return CreateAclsRequest_v1(
            [
                (
                    _RESOURCE_TYPES[b.resource_type],
                    b.name,
                    _PATTERN_TYPES[b.pattern],
                    b.principal,
                    b.host,
                    _OPERATIONS[b.operation],
                    _ALLOW,
                )
                for b in self._bindings
            ]
        )


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
    config.write_text(probe.properties().replace(str(probe.data_dir), str(staging / "data")))
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


def main(argv: list[str]) -> int:
    try:
        if argv == ["check"]:
            check_prerequisites(need_maven=not (cache_dir() / "libs" / ".complete").exists())
            return 0
        if argv == ["fetch"]:
            print(f"Apache Kafka {KAFKA_VERSION}: {libs_dir()}")
            return 0
    except MissingPrerequisiteError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("usage: python -m tools.broker check|fetch", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
