"""Session rosters name their participants with registry's batch holder-names call
(purpose `participant_list`), not one audited read per participant."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace
from typing import Any, cast

import httpx
from fastapi import Request

from services.console.client import Api
from services.console.pages.bimtek_common import names_of
from services.console.web import Operator


def roster_request(handler: Any) -> Request:
    """A request whose console state calls `handler` as registry."""
    api = Api(
        urls={"registry": "http://registry", "training": "http://t", "notifications": "http://n"},
        transports={"registry": httpx.MockTransport(handler)},
    )
    app = SimpleNamespace(state=SimpleNamespace(console=SimpleNamespace(api=api)))
    return cast(Request, SimpleNamespace(app=app))


OPERATOR = Operator(token="t", role="regency_operator", scope="3276", email="op@x", language="id")


async def test_a_roster_reads_every_name_in_one_call_per_500_participants_as_a_participant_list():
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def registry(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        calls.append((request.method, request.url.path, body))
        given = [v for v in body["volunteer_ids"] if v != erased]
        return httpx.Response(
            200, json={"names": [{"volunteer_id": v, "full_name": f"N{v[:4]}"} for v in given]}
        )

    ids = [str(uuid.uuid4()) for _ in range(1001)]
    erased = ids[7]
    found = await names_of(roster_request(registry), OPERATOR, ids + ids[:3])
    assert [(m, p, len(b["volunteer_ids"]), b["purpose"]) for m, p, b in calls] == [
        ("POST", "/volunteers/holder-names", 500, "participant_list"),
        ("POST", "/volunteers/holder-names", 500, "participant_list"),
        ("POST", "/volunteers/holder-names", 1, "participant_list"),
    ]
    assert len(found) == 1000 and erased not in found
    assert found[ids[0]] == f"N{ids[0][:4]}"


async def test_a_roster_shows_without_names_when_registry_fails():
    def registry(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"title": "down"})

    assert await names_of(roster_request(registry), OPERATOR, [str(uuid.uuid4())]) == {}
