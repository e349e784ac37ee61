"""`make run`'s supervisor: restarts services that exit (with backoff) and the broker if it
dies, without ever stopping the broker because a service died."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tools.procs import exit_description

if TYPE_CHECKING:
    from tools.stack import Stack


def say(message: str) -> None:
    """One line of the runner's own log (the services log on their own lines)."""
    print(f"{datetime.now():%H:%M:%S} [stack] {message}", flush=True)


@dataclass
class Backoff:
    """Restart delays: `first`, doubling up to `cap`; back to `first` once the process had
    stayed up `stable_after` seconds (a crash now and then is not a crash loop)."""

    first: float = 1.0
    cap: float = 30.0
    stable_after: float = 30.0

    def next(self, previous: float, uptime: float) -> float:
        """The delay before the next restart, given the last delay and the uptime."""
        if previous <= 0 or uptime >= self.stable_after:
            return self.first
        return min(self.cap, previous * 2)


@dataclass
class _Watch:
    """What the supervisor knows about one supervised process."""

    started_at: float
    delay: float = 0.0
    restart_at: float | None = None
    restarts: int = 0
    ready: bool = False


@dataclass
class Supervisor:
    """Keeps the stack up: restarts services that exit and the broker if it dies.

    Single-threaded on purpose: processes are started from the main thread only (their
    parent-death signal is tied to the thread that started them)."""

    stack: Stack
    backoff: Backoff = field(default_factory=Backoff)
    log: Callable[[str], None] = say
    clock: Callable[[], float] = time.monotonic
    services: dict[str, _Watch] = field(default_factory=dict)
    broker: _Watch | None = None

    def watch_all(self) -> None:
        """Restart every process that exited."""
        now = self.clock()
        self.broker = _Watch(started_at=now, ready=True)
        self.services = {name: _Watch(started_at=now) for name in self.stack.processes}

    @property
    def all_ready(self) -> bool:
        """Whether every service answers /ready."""
        return all(w.ready for w in self.services.values())

    def tick(self) -> None:
        """One pass: broker first (services need it), then each service."""
        self._check_broker()
        for name in self.services:
            self._check_service(name)

    def _check_broker(self) -> None:
        broker, watch = self.stack.broker, self.broker
        if broker is None or watch is None:
            return
        now = self.clock()
        if watch.restart_at is None:
            if broker.running:
                return
            code = broker.process.returncode if broker.process else None
            watch.delay = self.backoff.next(watch.delay, now - watch.started_at)
            # The first restart is immediate (every service is waiting for it), then backoff.
            wait = 0.0 if watch.delay <= self.backoff.first else watch.delay
            watch.restart_at = now + wait
            self.log(
                f"Kafka exited ({exit_description(code)}); restarting it on {broker.bootstrap} "
                f"with its log in {broker.data_dir}"
                + (f" in {wait:.0f}s" if wait else "")
                + "; the services retry meanwhile"
            )
        if now < watch.restart_at:
            return
        watch.restart_at = None
        watch.restarts += 1
        watch.started_at = self.clock()
        try:
            broker.start()
        except Exception as exc:  # exits at start, or too slow: try again after the backoff
            self.log(f"Kafka did not start: {str(exc).splitlines()[0]}")
            return
        self.log(f"Kafka is back after {self.clock() - now:.1f}s (restart #{watch.restarts})")

    def _check_service(self, name: str) -> None:
        watch, proc = self.services[name], self.stack.processes.get(name)
        now = self.clock()
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                watch.restart_at = None
                watch.restarts += 1
                watch.ready = False
                watch.started_at = now
                self.stack.start_service(name)
                self.log(f"{name} restarted (restart #{watch.restarts})")
            return
        if proc is None:
            return
        code = proc.poll()
        if code is not None:
            watch.delay = self.backoff.next(watch.delay, now - watch.started_at)
            watch.restart_at = now + watch.delay
            watch.ready = False
            self.log(
                f"{name} exited ({exit_description(code)}) after {now - watch.started_at:.1f}s; "
                f"restarting it in {watch.delay:.0f}s"
            )
            return
        if not watch.ready and self.stack.is_ready(name):
            watch.ready = True
            if watch.restarts:
                self.log(
                    f"{name} ready again ({self.clock() - watch.started_at:.1f}s after restart)"
                )
