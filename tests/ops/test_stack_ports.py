"""`make run`'s runner without real processes: the port check (a listener blocks a start,
the last run's closed connections do not) and the supervisor's restart decisions (backoff,
the broker restarted in place, never stopped for a service)."""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass, field

from tools.broker import free_port
from tools.stack import _port_free
from tools.supervisor import Backoff, Supervisor


def test_a_port_with_a_listener_is_busy():
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not _port_free(server.getsockname()[1])


def test_connections_of_a_stopped_server_in_time_wait_do_not_block_a_restart():
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection enters TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    assert _port_free(port)


# --- supervision, on a fake clock with fake processes ------------------------------------


@dataclass
class FakeProcess:
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class FakeBroker:
    bootstrap: str = "127.0.0.1:9092"
    data_dir: str = "var/kafka/data"
    process: FakeProcess = field(default_factory=FakeProcess)
    starts: int = 0
    stops: int = 0

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def start(self) -> FakeBroker:
        self.starts += 1
        self.process = FakeProcess()
        return self

    def shutdown(self) -> None:
        self.stops += 1

    stop = kill = shutdown


@dataclass
class FakeStack:
    broker: FakeBroker = field(default_factory=FakeBroker)
    processes: dict[str, FakeProcess] = field(
        default_factory=lambda: {n: FakeProcess() for n in ("registry", "training")}
    )
    started: list[str] = field(default_factory=list)

    def start_service(self, name: str) -> FakeProcess:
        self.started.append(name)
        self.processes[name] = FakeProcess()
        return self.processes[name]

    def is_ready(self, name: str) -> bool:
        return True


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervised() -> tuple[Supervisor, FakeStack, Clock, list[str]]:
    stack, clock, lines = FakeStack(), Clock(), []
    sup = Supervisor(stack, log=lines.append, clock=clock)  # type: ignore[arg-type]
    sup.watch_all()
    sup.tick()
    return sup, stack, clock, lines


def test_backoff_doubles_to_thirty_seconds_and_resets_after_a_stable_run():
    b = Backoff(first=1, cap=30, stable_after=30)
    delays, delay = [], 0.0
    for _ in range(7):
        delay = b.next(delay, uptime=2)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert b.next(30, uptime=31) == 1


def test_a_service_that_exits_is_restarted_after_the_delay_and_the_line_names_code_and_delay():
    sup, stack, clock, lines = supervised()
    assert sup.all_ready
    stack.processes["training"].returncode = -signal.SIGKILL
    clock.now += 5
    sup.tick()
    assert lines == ["training exited (code -9 (SIGKILL)) after 5.0s; restarting it in 1s"]
    assert not sup.all_ready
    clock.now += 0.5
    sup.tick()
    assert stack.started == []  # not before its delay
    clock.now += 0.5
    sup.tick()
    assert stack.started == ["training"]
    sup.tick()
    assert sup.all_ready and lines[-1].startswith("training ready again")
    stack.processes["training"].returncode = 3  # again at once: the delay doubles
    clock.now += 1
    sup.tick()
    assert lines[-1] == "training exited (code 3) after 1.0s; restarting it in 2s"
    assert stack.broker.stops == 0 and stack.broker.starts == 0  # the broker is left alone


def test_a_dead_broker_is_restarted_in_place_and_the_services_are_left_running():
    sup, stack, clock, lines = supervised()
    services = dict(stack.processes)
    stack.broker.process.returncode = -signal.SIGKILL
    clock.now += 60
    sup.tick()
    assert stack.broker.starts == 1
    assert lines[0].startswith("Kafka exited (code -9 (SIGKILL)); restarting it on 127.0.0.1:9092")
    assert lines[-1].startswith("Kafka is back")
    assert stack.processes == services and stack.started == []
