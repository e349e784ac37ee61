"""Prometheus rules (promtool) and the Grafana dashboard refer to metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from shared.metrics import ServiceMetrics
from tests.ops.support import ROOT, load_yaml, skip_or_fail

pytestmark = pytest.mark.subprocess  # promtool

PROMETHEUS = ROOT / "deploy/prometheus"
DASHBOARD = ROOT / "deploy/grafana/dashboards/psm-overview.json"

#: Business metrics the services publish (the contract with the dashboard and alerts;
#: listed in docs/operations.md). Labels are bounded: never a village, never a person.
BUSINESS_METRICS = {
    "psm_volunteers": ("province", "status"),
    "psm_candidates_awaiting_verification": ("province",),
    "psm_sessions": ("province", "status"),
    "psm_certificates_issued": ("province", "level"),
    "psm_notifications_total": ("channel", "outcome"),
}
#: FastStream's KafkaPrometheusMiddleware, Strimzi's Kafka Exporter, Prometheus itself
OTHER_METRICS = {
    "faststream_received_messages_total",
    "faststream_published_messages_total",
    "kafka_consumergroup_lag",
    "up",
}
PROMQL_WORDS = {
    "sum", "by", "max", "min", "rate", "increase", "histogram_quantile", "and", "or",
    "unless", "on", "offset", "le", "without", "avg", "count", "ignoring", "group_left",
    "label_replace",
}  # fmt: skip


def _platform_metrics() -> set[str]:
    names = set()
    for metric in ServiceMetrics("probe").registry.collect():
        names |= {s.name for s in metric.samples} | {metric.name}
        if metric.type == "counter":
            names.add(metric.name + "_total")
        if metric.type == "histogram":
            names |= {metric.name + suffix for suffix in ("_bucket", "_sum", "_count")}
    return names


def _metric_names(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\b\d+(\.\d+)?[smhdwy]?\b", "", expr)  # durations and numbers
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    return words - PROMQL_WORDS


def _known_metrics() -> set[str]:
    return _platform_metrics() | set(BUSINESS_METRICS) | OTHER_METRICS


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("promtool")
    if exe is None:
        skip_or_fail("promtool is not installed (`make promtool` installs Debian's prometheus)")
    return subprocess.run(
        [str(exe), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )


def test_alert_rules_are_valid():
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_pass_their_unit_tests():
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_config_is_valid(tmp_path):
    # The config names the rule file by its path inside the container: check a copy.
    config = (PROMETHEUS / "prometheus.yml").read_text()
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/alerts.yml", str(PROMETHEUS / "alerts.yml"))
    )
    result = _promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def _alert_rules() -> list[dict[str, Any]]:
    groups = load_yaml(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_alerts_cover_the_operators_concerns():
    exprs = {rule["alert"]: rule["expr"] for rule in _alert_rules()}
    wanted = {
        "outbox stuck": "psm_outbox_oldest_pending_age_seconds",
        "no consumption": "faststream_received_messages_total",
        "consumer lag": "kafka_consumergroup_lag",
        "DLQ growth": "psm_dead_lettered_messages_total",
        "error ratio": "psm_http_requests_total",
        "notification failures": "psm_notifications_total",
    }
    missing = [c for c, metric in wanted.items() if not any(metric in e for e in exprs.values())]
    assert missing == []
    for rule in _alert_rules():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_alert_rules_use_only_metrics_that_exist():
    unknown = {
        (rule["alert"], name)
        for rule in _alert_rules()
        for name in _metric_names(rule["expr"]) - _known_metrics()
    }
    assert unknown == set()


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())  # type: ignore[no-any-return]


def _panel_exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def test_dashboard_uses_only_metrics_that_exist():
    exprs = _panel_exprs(_dashboard())
    assert len(exprs) > 10
    unknown = {(t, n) for t, e in exprs for n in _metric_names(e) - _known_metrics()}
    assert unknown == set()


def test_dashboard_has_a_national_and_a_per_province_view():
    dashboard = _dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    province = variables["province"]
    assert "label_values(psm_volunteers, province)" in province["definition"]
    assert province["includeAll"] and province["allValue"] == ".*"  # All = national
    business = [
        (t, e) for t, e in _panel_exprs(dashboard) if _metric_names(e) & set(BUSINESS_METRICS)
    ]
    province_metrics = {m for m, labels in BUSINESS_METRICS.items() if "province" in labels}
    for title, expr in business:
        if _metric_names(expr) & province_metrics:
            assert 'province=~"$province"' in expr, title
    assert any("sum by (province)" in e for _, e in business), "a per-province comparison"
    shown = {n for _, e in business for n in _metric_names(e)}
    assert shown == set(BUSINESS_METRICS)


def test_dashboard_panels_do_not_overlap():
    seen: set[tuple[int, int]] = set()
    for panel in _dashboard()["panels"]:
        g = panel["gridPos"]
        cells = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & seen, panel["title"]
        assert g["x"] + g["w"] <= 24
        seen |= cells


def test_grafana_provisioning_points_at_the_dashboards_and_prometheus():
    provider = load_yaml(ROOT / "deploy/grafana/provisioning/dashboards/psm.yml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    datasource = load_yaml(ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml")
    assert datasource["datasources"][0]["type"] == "prometheus"


def test_operations_guide_lists_the_business_metrics_contract():
    guide = (ROOT / "docs/operations.md").read_text()
    for name, labels in BUSINESS_METRICS.items():
        row = next((line for line in guide.splitlines() if f"| `{name}` |" in line), "")
        assert row, f"docs/operations.md does not list {name}"
        assert all(f"`{label}`" in row for label in labels), row


@pytest.fixture(scope="module")
def service_registries() -> dict[str, Any]:
    from tools.contracts import service_runtimes

    return {runtime.name: runtime.metrics.registry for runtime in service_runtimes()}


@pytest.mark.parametrize("metric", sorted(BUSINESS_METRICS))
def test_services_register_business_metrics_with_the_contract_labels(metric, service_registries):
    found = {
        service: registry._names_to_collectors[metric]
        for service, registry in service_registries.items()
        if metric in registry._names_to_collectors
    }
    if not found:
        pytest.skip(f"{metric} is not registered by any service when its app is built")
    for service, collector in found.items():
        labels = tuple(getattr(collector, "_labelnames", ()))
        assert sorted(labels) == sorted(BUSINESS_METRICS[metric]), service
        assert not {"village", "village_code", "volunteer_id", "person"} & set(labels)
