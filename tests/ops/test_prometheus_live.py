"""The Grafana dashboards and the alert rules, checked against a real Prometheus.

Prometheus (Debian's `prometheus`, the package `make promtool` installs) scrapes the
three services of a local stack every second with deploy/prometheus/prometheus.yml's
scrape job and labels, and evaluates deploy/prometheus's rule files every second. Every
panel expression of every dashboard under deploy/ goes through `/api/v1/query` (Grafana's
template variables substituted explicitly), every rule must report `health: ok`, and after
one registration the panels a national operator looks at first must show data.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.builders import auth_headers, volunteer_payload
from tests.ops.support import ROOT, load_yaml, load_yaml_documents, skip_or_fail
from tests.ops.test_monitoring import _metric_names
from tools.broker import free_port
from tools.procs import die_with_parent
from tools.services import SERVICE_NAMES, SERVICES
from tools.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
T = TypeVar("T")

DEPLOY = ROOT / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus/prometheus.yml"
#: where the deployed config names its rule files (the container's mount point)
RULES_MOUNT = "/etc/prometheus/"

#: Grafana's template variables, as the test substitutes them. National view: what the
#: dashboard shows by default (province = All, service = All, both `allValue` ".*");
#: province view: one province's operator (32 = Jawa Barat) looking at one service.
#: $__rate_interval: Grafana uses max(4 × scrape interval, $__interval + scrape interval);
#: with this test's 1 s scrape a minute covers it and keeps ≥ 2 samples in every window.
NATIONAL_VIEW = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "province": ".*",
    "service": ".*",
}
PROVINCE_VIEW = NATIONAL_VIEW | {"province": "32", "service": "registry"}
VIEWS = {"national": NATIONAL_VIEW, "province 32, registry": PROVINCE_VIEW}

#: The panels a national operator looks at first: after one registration each must show
#: data (at least one of its targets returns a series). Not "Per province": it counts
#: *active* volunteers, and a new registration is a candidate until activated.
HEADLINE_PANELS = (
    "Volunteers by status",
    "Volunteers by status over time",
    "Events handled by outcome",
    "Messages received (FastStream)",
    "Outbox backlog",
    "HTTP requests per second by route",
)

#: Metrics a dashboard or rule may read that no PSM service exports: Strimzi's Kafka
#: Exporter (deployed with Kafka on Kubernetes, absent from the local stack) and the
#: series Prometheus itself writes for each target.
NOT_FROM_THE_SERVICES = {"kafka_consumergroup_lag", "up"}


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


@pytest.fixture(scope="module")
def prometheus_exe() -> str:
    """The server's binary, looked up before the stack starts for nothing."""
    exe = shutil.which("prometheus")
    if exe is None:
        skip_or_fail(
            "the Prometheus server is not installed (`make promtool` installs "
            "Debian's prometheus, which provides `prometheus` and `promtool`)"
        )
    return str(exe)


@pytest.fixture(scope="module")
def stack(prometheus_exe: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(
        var_dir=tmp_path_factory.mktemp("stack"),
        broker_port=None,
        ports={name: free_port() for name in SERVICE_NAMES},
        log_format="json",
        # the business gauges are recomputed every second instead of every 30
        extra_env={
            "PSM_QUIET": "1",
            "REGISTRY_METRICS_REFRESH_S": "1",
            "TRAINING_METRICS_REFRESH_S": "1",
        },
    )
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture(scope="module")
def prometheus(
    prometheus_exe: str, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    workdir = tmp_path_factory.mktemp("prometheus")
    server = Prometheus(prometheus_exe, workdir, prometheus_config(stack, rule_files()))
    try:
        server.wait_ready()
        poll(
            lambda: len(server.series('up{job="psm"} == 1')) == len(SERVICE_NAMES),
            timeout=20,
            message="the three services scraped",
        )
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def registered(stack: Stack, prometheus: Prometheus) -> str:
    """One volunteer registered through registry's API, handled by training and
    notifications (their /metrics count it applied)."""
    response = httpx.post(
        stack.url("registry") + "/volunteers",
        json=volunteer_payload(),
        headers=auth_headers(SERVICES["registry"].settings()),
        timeout=10,
    )
    assert response.status_code == 201, response.text
    for consumer in ("training", "notifications"):
        applied = (
            f'psm_events_handled_total{{consumer="{consumer}",'
            'event_type="volunteer-registered",outcome="applied"}'
        )
        poll(
            lambda a=applied, c=consumer: a in httpx.get(stack.url(c) + "/metrics").text,  # type: ignore[misc]
            timeout=20,
            message=f"{consumer} applied the registration",
        )
    return str(response.json()["id"])


# --- the checks ---------------------------------------------------------------------------


def test_prometheus_scrapes_every_service_with_its_service_label(prometheus):
    up = prometheus.series('up{job="psm"}')
    assert {s["metric"]["service"]: s["value"][1] for s in up} == dict.fromkeys(SERVICE_NAMES, "1")


def test_every_dashboard_has_panels_with_expressions():
    assert dashboards(), "no Grafana dashboard JSON under deploy/"
    assert len(panel_targets()) > 10


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_dashboard_panel_expression_evaluates_without_error(prometheus, view):
    failures = []
    for dashboard, title, expr in panel_targets():
        query = substitute(expr, VIEWS[view])
        answer = prometheus.query(query)
        if answer["status"] != "success" or answer.get("warnings"):
            failures.append((dashboard, title, query, answer.get("error"), answer.get("warnings")))
    assert failures == []


def _rules_evaluated(prometheus: Prometheus) -> list[dict[str, Any]]:
    answer = prometheus.api("/api/v1/rules")
    assert answer["status"] == "success", answer
    rules = [rule for group in answer["data"]["groups"] for rule in group["rules"]]
    never = [r["name"] for r in rules if r["lastEvaluation"].startswith("0001-")]
    return [] if never or not rules else rules


def test_every_alert_and_recording_rule_evaluates_healthy(prometheus):
    rules = poll(
        lambda: _rules_evaluated(prometheus), timeout=15, message="every rule evaluated once"
    )
    assert sorted(r["name"] for r in rules) == sorted(rule_name(r) for r in rules_in_files())
    unhealthy = [
        (r["name"], r["health"], r.get("lastError", ""))
        for r in rules
        if r["health"] != "ok" or r.get("lastError")
    ]
    assert unhealthy == []


def _exported_metric_names(prometheus: Prometheus) -> set[str]:
    """Every metric the scraped services expose, with or without a sample yet: the
    families' metadata (# TYPE) plus the names of the stored series."""
    names = set(prometheus.api("/api/v1/label/__name__/values")["data"])
    for family, entries in prometheus.api("/api/v1/metadata")["data"].items():
        names.add(family)
        if any(e["type"] == "histogram" for e in entries):
            names |= {family + suffix for suffix in ("_bucket", "_sum", "_count")}
        if any(e["type"] == "counter" for e in entries):
            names.add(family + "_total")
    return names


def test_dashboards_and_rules_read_only_metrics_the_services_export(prometheus, registered):
    wanted = {(f"{d}: {title}", n) for d, title, e in panel_targets() for n in _metric_names(e)}
    wanted |= {
        (f"rule {rule_name(r)}", n) for r in rules_in_files() for n in _metric_names(r["expr"])
    }
    exported = poll(
        lambda: (
            _exported_metric_names(prometheus) >= {"psm_volunteers", "psm_http_requests_total"}
            and _exported_metric_names(prometheus)
        ),
        timeout=15,
        message="metadata of the scraped services",
    )
    missing = {(where, n) for where, n in wanted if n not in exported | NOT_FROM_THE_SERVICES}
    assert missing == set()


def _panel_has_data(prometheus: Prometheus, title: str, view: dict[str, str]) -> bool:
    exprs = [e for _, t, e in panel_targets() if t == title]
    assert exprs, f"no panel titled {title!r} in deploy/'s dashboards"
    return any(prometheus.series(substitute(e, view)) for e in exprs)


def test_headline_panels_show_data_after_a_registration(prometheus, registered):
    pending = set(HEADLINE_PANELS)

    def all_shown() -> bool:
        pending.difference_update(
            {t for t in list(pending) if _panel_has_data(prometheus, t, NATIONAL_VIEW)}
        )
        return not pending

    poll(all_shown, timeout=20, message=lambda: f"headline panels without data: {sorted(pending)}")


def test_province_view_shows_the_volunteer_only_in_their_province(prometheus, registered):
    # volunteer_payload() lives in Depok (32.76.01.1006): province 32, not 11 (Aceh)
    poll(
        lambda: _panel_has_data(prometheus, "Volunteers by status", PROVINCE_VIEW),
        timeout=20,
        message="province 32 shows the volunteer",
    )
    aceh = PROVINCE_VIEW | {"province": "11"}
    assert not _panel_has_data(prometheus, "Volunteers by status", aceh)
