"""The dasbor's per-process caches: platform health scraped at most every few seconds, charts
drawn once per input."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from fastapi import Request

from services.console import charts
from services.console.client import Api
from services.console.pages import dashboard

METRICS = "# TYPE psm_dead_lettered_messages gauge\npsm_dead_lettered_messages 2.0\n"


def dasbor_request(scrapes: list[str], metrics: str = METRICS) -> Request:
    def service(request: httpx.Request) -> httpx.Response:
        scrapes.append(request.url.host)
        return httpx.Response(200, text=metrics)

    transport = httpx.MockTransport(service)
    api = Api(
        urls={"registry": "http://r", "training": "http://t", "notifications": "http://n"},
        transports=dict.fromkeys(("registry", "training", "notifications"), transport),
    )
    app = SimpleNamespace(state=SimpleNamespace(console=SimpleNamespace(api=api)))
    return cast(Request, SimpleNamespace(app=app))


async def test_platform_health_is_scraped_once_per_service_within_its_time_to_live(
    monkeypatch: pytest.MonkeyPatch,
):
    now = [1000.0]
    monkeypatch.setattr(dashboard.time, "monotonic", lambda: now[0])
    scrapes: list[str] = []
    request = dasbor_request(scrapes)
    first = await dashboard._health(request, "registry")
    now[0] += dashboard.HEALTH_TTL_S - 0.5
    assert await dashboard._health(request, "registry") == first
    assert first is not None and first["dead"] == 2.0
    assert scrapes == ["r"]
    await dashboard._health(request, "training")
    now[0] += 1.0
    await dashboard._health(request, "registry")
    assert scrapes == ["r", "t", "r"]
    other_console = dasbor_request(scrapes)  # another app: its own cache
    await dashboard._health(other_console, "registry")
    assert scrapes == ["r", "t", "r", "r"]


async def test_platform_health_sums_the_consumer_lag_of_every_consumer_and_topic():
    scraped = (
        "# TYPE psm_consumer_lag gauge\n"
        'psm_consumer_lag{consumer="training",topic="registry.volunteers"} 7.0\n'
        'psm_consumer_lag{consumer="training",topic="registry.regions"} 0.0\n'
        'psm_consumer_lag{consumer="training-reports",topic="training.sessions"} 5.0\n'
        "# TYPE psm_outbox_pending_events gauge\npsm_outbox_pending_events 3.0\n"
    )
    health = await dashboard._health(dasbor_request([], scraped), "training")
    assert health is not None
    assert health["lag"] == 12.0
    assert health["outbox"] == 3.0


async def test_platform_health_reports_no_lag_for_a_service_without_consumers():
    health = await dashboard._health(dasbor_request([]), "registry")
    assert health is not None and health["lag"] == 0.0


def test_a_chart_is_drawn_once_for_the_same_figures_and_again_when_they_change(
    monkeypatch: pytest.MonkeyPatch,
):
    drawn: list[Any] = []
    render = charts.pygal.HorizontalStackedBar.render

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append(self)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(charts.pygal.HorizontalStackedBar, "render", counting)
    title = "test_a_chart_is_drawn_once"  # an input no other test draws
    one = charts.stacked_bars(title, ["Beji", "Cinere"], {"Aktif": [3, 4], "Kandidat": [1, 0]})
    again = charts.stacked_bars(title, ("Beji", "Cinere"), {"Aktif": (3, 4), "Kandidat": (1, 0)})
    assert again == one and len(drawn) == 1
    changed = charts.stacked_bars(title, ["Beji", "Cinere"], {"Aktif": [3, 5], "Kandidat": [1, 0]})
    assert changed != one and len(drawn) == 2
