"""The issue's acceptance on the local stack: the README flow moves the named metrics on
every service's /metrics, and the example subscriber prints the flow's events."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from typer.testing import CliRunner

from tests.builders import auth_headers, volunteer_payload
from tools.broker import free_port
from tools.services import SERVICE_NAMES, SERVICES
from tools.stack import Stack
from tools.subscriber import app as subscriber

pytestmark = [pytest.mark.e2e, pytest.mark.broker]
T = TypeVar("T")


def poll(check: Callable[[], T], *, timeout: float = 20.0, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {message}")


def sample(url: str, pattern: str) -> float:
    """Sum of the samples on /metrics whose line matches `pattern`."""
    text = httpx.get(url + "/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if re.match(pattern, line)
    )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(
        var_dir=tmp_path,
        broker_port=free_port(),
        ports={name: free_port() for name in SERVICE_NAMES},
        log_format="json",
        extra_env={"PSM_QUIET": "1"},
    )
    try:
        yield s.start()
    finally:
        s.stop()


def test_registration_moves_the_metrics_and_reaches_an_agency_subscriber(stack):
    headers = auth_headers(SERVICES["registry"].settings()) | {"x-request-id": "acceptance-1"}
    response = httpx.post(
        stack.url("registry") + "/volunteers", json=volunteer_payload(), headers=headers
    )
    assert response.status_code == 201, response.text
    volunteer_id = response.json()["id"]

    published = r'psm_outbox_published_total\{topic="registry.volunteers"\}'
    poll(lambda: sample(stack.url("registry"), published) >= 1, message="registry published")
    for consumer in ("training", "notifications"):
        handled = rf'psm_events_handled_total\{{consumer="{consumer}",event_type="volunteer-registered",outcome="applied"\}}'
        poll(lambda c=consumer, h=handled: sample(stack.url(c), h) >= 1, message=consumer)  # type: ignore[misc]
        received = r'faststream_received_messages_total\{.*handler="registry.volunteers"'
        assert sample(stack.url(consumer), received) >= 1
    assert sample(stack.url("registry"), r"psm_http_requests_total\{.*status=\"201\"") >= 1
    # the ledger entry is dispatched on notifications' next tick (sent, deferred, …)
    poll(
        lambda: sample(stack.url("notifications"), r"psm_notifications_total\{") >= 1,
        message="a notification outcome counted",
    )

    result = CliRunner().invoke(
        subscriber,
        [
            *("--bootstrap", stack.broker.bootstrap, "--group", "demo.acceptance"),
            *("--session-timeout-ms", "6000", "--region", "32.76", "--idle-timeout", "1"),
        ],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    [registered] = [e for e in events if e["payload"].get("volunteer_id") == volunteer_id]
    assert registered["event_type"] == "volunteer-registered" and registered["validated"]
    assert registered["correlation_id"] == "acceptance-1"
    assert "nik" not in registered["payload"] and "full_name" not in registered["payload"]
