"""A real Prometheus server for the live dashboard test, and the dashboards and rules it reads."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.ops.support import ROOT, load_yaml, load_yaml_documents
from tools.broker import free_port
from tools.procs import die_with_parent
from tools.stack import Stack

T = TypeVar("T")

DEPLOY = ROOT / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus/prometheus.yml"
#: where the deployed config names its rule files (the container's mount point)
RULES_MOUNT = "/etc/prometheus/"


def poll(check: Callable[[], T], *, timeout: float, message: str | Callable[[], str]) -> T:
    """`check()`'s first truthy value, polled until a deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    why = message() if callable(message) else message
    raise AssertionError(f"not within {timeout}s: {why} (last value: {last!r})")


# --- what deploy/ holds -----------------------------------------------------------------


def dashboards() -> dict[str, dict[str, Any]]:
    """Every Grafana dashboard JSON under deploy/, by path."""
    found = {}
    for path in sorted(DEPLOY.rglob("*.json")):
        document = json.loads(path.read_text())
        if isinstance(document, dict) and "panels" in document:
            found[str(path.relative_to(ROOT))] = document
    return found


def _walk(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _walk(panel.get("panels", []))  # a collapsed row holds its panels


def panel_targets() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expr) of every target of every panel."""
    return [
        (name, panel["title"], target["expr"])
        for name, dashboard in dashboards().items()
        for panel in _walk(dashboard["panels"])
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def substitute(expr: str, variables: dict[str, str]) -> str:
    """Replace Grafana's `$name`, `${name}` and `${name:format}`; an unknown one fails."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"no test value for Grafana variable ${name} in: {expr}"
        return variables[name]

    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", value, expr)


def rule_files() -> list[Path]:
    """The rule files the deployed Prometheus loads, as files in this repository."""
    names = load_yaml(PROMETHEUS_CONFIG)["rule_files"]
    return [DEPLOY / "prometheus" / name.removeprefix(RULES_MOUNT) for name in names]


def rules_in_files() -> list[dict[str, Any]]:
    return [
        rule
        for path in rule_files()
        for document in load_yaml_documents(path)
        for group in document["groups"]
        for rule in group["rules"]
    ]


def rule_name(rule: dict[str, Any]) -> str:
    return str(rule.get("alert") or rule.get("record"))


# --- Prometheus and the stack -------------------------------------------------------------


def prometheus_config(stack: Stack, rules: list[Path]) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with this stack's ports, 1 s intervals, local rules.

    The scrape job, its name and its `service` labels stay the deployed ones: the rules
    and the dashboard select on them (up{job="psm"}, service=~"$service")."""
    config = load_yaml(PROMETHEUS_CONFIG)
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(path) for path in rules]
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            service = group["labels"]["service"]
            group["targets"] = [f"127.0.0.1:{stack.ports[service]}"]
    return config


class Prometheus:
    def __init__(self, exe: str, workdir: Path, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "prometheus.yml").write_text(json.dumps(config, indent=2))  # JSON is YAML
        self.log_path = workdir / "prometheus.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(exe),
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 20.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"prometheus exited ({self.process.returncode}):\n{self.log()}"
                )
            try:
                return httpx.get(self.url + "/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout=timeout, message=f"prometheus ready\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, path: str, **params: str) -> dict[str, Any]:
        """`data` of an API answer; an error answer is returned whole (status "error")."""
        body: dict[str, Any] = httpx.get(self.url + path, params=params, timeout=10).json()
        return body

    def query(self, expr: str) -> dict[str, Any]:
        return self.api("/api/v1/query", query=expr)

    def series(self, expr: str) -> list[dict[str, Any]]:
        answer = self.query(expr)
        assert answer["status"] == "success", (expr, answer)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result
