"""The benchmark harness at a tiny size, so that it cannot rot: a few hundred volunteers go
through the real bulk import into registry, training and notifications, and the raw-broker
baseline runs on the same broker."""

from __future__ import annotations

import json

import pytest

from bench.run import cli

pytestmark = [pytest.mark.broker, pytest.mark.e2e]


def test_quick_pipeline_run_reaches_every_service_and_writes_results(tmp_path):
    json_path = cli(["--quick", "--only", "imports,pipeline", "--out", str(tmp_path)])

    results = json.loads(json_path.read_text())
    assert "errors" not in results, results["errors"]
    p = results["pipeline"]
    assert p["complete"], p
    held = dict.fromkeys(("registry", "registry_published", "training", "notifications"), 300)
    assert p["counts_at_end"] == held
    assert p["volunteers_per_s"] > 0
    assert p["baseline_raw_kafka"]["messages"] == 300
    assert p["baseline_raw_kafka"]["messages_per_s"] > 0
    assert p["ratio_to_raw_kafka"] > 0
    assert {"registry", "training", "notifications"} <= set(p["peak_rss_mb"])
    assert all(mb > 0 for mb in p["peak_rss_mb"].values())
    imports = results["imports"]
    assert imports["importer"]["imported"] == imports["importer"]["outbox_events"] == 2000
    assert imports["raw_sqlite"]["rows"] == 2000
    assert imports["ratio"] > 0
    assert results["environment"]["cores"] >= 1
    assert "aiokafka" in results["environment"]["versions"]
    summary = (tmp_path / "summary.md").read_text()
    assert "end to end" in summary
    assert "Bulk import into SQLite" in summary
    assert "Ratio" in summary
