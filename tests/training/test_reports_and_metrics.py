"""Reports per region and year (JSON and CSV) and training's business gauges."""

from __future__ import annotations

import csv
import io

from prometheus_client import generate_latest

from services.training.service.metrics import refresh_now
from tests.training.helpers import (
    BEKASI_OPERATOR,
    JABAR_OPERATOR,
    add_volunteers,
    enrol_all,
    open_session,
    run_to_completion,
    training_app,
)


async def graduate_mixed_class(t):
    """Depok session: 2 from Depok pass, 1 from Depok fails (post 50), 1 from Bekasi passes."""
    depok = await add_volunteers(t, 3)
    [bekasi] = await add_volunteers(t, 1, village="32.75.01.1001")
    s = await open_session(t, capacity=10)
    outcomes = await enrol_all(t, s["id"], [*depok, bekasi])
    enrolments = [o["enrolment_id"] for o in outcomes]
    await run_to_completion(t, s["id"], enrolments)
    r = await t.put(
        f"/sessions/{s['id']}/scores",
        {"scores": [{"enrolment_id": enrolments[2], "post_score": 50}]},
    )
    assert r.status_code == 409  # completed: scores are final
    return s, enrolments


async def test_region_report_counts_certified_volunteers_sessions_and_pass_rates(database_url):
    async with training_app(database_url) as t:
        await graduate_mixed_class(t)
        jabar = (await t.get("/reports/regions/32", JABAR_OPERATOR, year=2022)).json()
        assert jabar["volunteers_certified"] == {"dasar": 4, "lanjutan": 0, "khusus": 0}
        assert jabar["sessions_held"] == 1
        assert (jabar["participants"], jabar["passed"], jabar["pass_rate"]) == (4, 4, 1.0)
        assert jabar["mean_improvement"] == 30.0
        assert [r["region_code"] for r in jabar["by_regency"]] == ["32.75", "32.76"]
        depok = (await t.get("/reports/regions/32.76", year=2022)).json()
        assert depok["volunteers_certified"]["dasar"] == 3
        assert (await t.get("/reports/regions/32", year=2023)).json()["participants"] == 0


async def test_region_report_as_csv_for_operators(database_url):
    async with training_app(database_url) as t:
        await graduate_mixed_class(t)
        r = await t.get("/reports/regions/32.csv", JABAR_OPERATOR, year=2022)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert [row["region_code"] for row in rows] == ["32.75", "32.76", "32 (total)"]
        assert rows[-1]["volunteers_dasar"] == "4" and rows[-1]["sessions_held"] == "1"
        assert rows[1]["passed"] == "3"


async def test_report_outside_scope_is_forbidden(database_url):
    async with training_app(database_url) as t:
        r = await t.get("/reports/regions/32.76", BEKASI_OPERATOR, year=2022)
        assert r.status_code == 403
        assert (await t.get("/reports/regions/32", BEKASI_OPERATOR, year=2022)).status_code == 403


async def test_business_gauges_by_province_for_sessions_and_certificates(database_url):
    async with training_app(database_url) as t:
        await graduate_mixed_class(t)
        await open_session(t)
        await refresh_now(t.app.state.service)
        text = generate_latest(t.runtime.metrics.registry).decode()
        assert 'psm_sessions{province="32",status="completed"} 1.0' in text
        assert 'psm_sessions{province="32",status="open"} 1.0' in text
        assert 'psm_certificates_issued{level="dasar",province="32"} 4.0' in text
        assert "village" not in text
        exposed = (await t.client.get("/metrics")).text
        assert "psm_certificates_issued" in exposed
