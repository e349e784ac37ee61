"""The Grafana dashboards and the alert rules, checked against a real Prometheus.

Prometheus (Debian's `prometheus`, the package `make promtool` installs) scrapes the
three services of a local stack every second with deploy/prometheus/prometheus.yml's
scrape job and labels, and evaluates deploy/prometheus's rule files every second. Every
panel expression of every dashboard under deploy/ goes through `/api/v1/query` (Grafana's
template variables substituted explicitly), every rule must report `health: ok`, and after
one registration the panels a national operator looks at first must show data.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest

from tests.builders import auth_headers, volunteer_payload
from tests.ops.prometheus_server import (
    Prometheus,
    dashboards,
    panel_targets,
    poll,
    prometheus_config,
    rule_files,
    rule_name,
    rules_in_files,
    substitute,
)
from tests.ops.support import skip_or_fail
from tests.ops.test_monitoring import _metric_names
from tools.broker import free_port
from tools.services import SERVICE_NAMES, SERVICES
from tools.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
T = TypeVar("T")

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
