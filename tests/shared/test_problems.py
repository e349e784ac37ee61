"""The one error strategy: domain errors → problems, documented per route; 500s keep their id."""

from __future__ import annotations

import io
import json

import httpx
import pytest
import structlog
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from shared.errors import Conflict, DomainError, Forbidden, Gone, Invalid, NotFound, RateLimited
from shared.http import ObserveRequests
from shared.i18n import t
from shared.logging import configure_logging
from shared.metrics import ServiceMetrics
from shared.problems import (
    PROBLEM_JSON,
    document_problems,
    install_problem_handlers,
    raises,
    status_of,
)


class Note(BaseModel):
    """A body."""

    text: str


class SeatTaken(Conflict):
    """A service's own exception: a Conflict."""


@raises(Forbidden)
async def only_admins() -> None:
    raise Forbidden("only national admins may do this")


def make_app() -> FastAPI:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    @raises(NotFound)
    async def get_thing(thing_id: int) -> dict[str, int]:
        if thing_id == 0:
            raise NotFound(t("tidak ada barang {id}", "no thing {id}", id=thing_id))
        return {"id": thing_id}

    @router.patch("/things/{thing_id}", dependencies=[Depends(only_admins)])
    @raises(SeatTaken)
    async def patch_thing(thing_id: int) -> dict[str, int]:
        raise SeatTaken("the seat is taken")

    @router.get("/slow")
    @raises(RateLimited)
    async def slow() -> None:
        raise RateLimited("too many requests", retry_after_s=2.4)

    @router.post("/notes")
    async def add_note(note: Note) -> Note:
        return note

    @router.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(ObserveRequests, metrics=ServiceMetrics("test"))
    document_problems(app, [router])
    app.include_router(router)
    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (Invalid, 422),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
        (Gone, 410),
        (RateLimited, 429),
        (SeatTaken, 409),
    ],
)
def test_each_kind_of_domain_error_has_one_status(kind: type[DomainError], status: int) -> None:
    assert status_of(kind) == status


def test_an_exception_outside_the_kinds_has_no_status() -> None:
    with pytest.raises(TypeError, match="does not subclass"):
        status_of(DomainError)


async def test_a_domain_error_raised_by_a_use_case_is_answered_as_a_problem_in_indonesian(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/things/0")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_JSON
    assert (r.headers["content-language"], r.headers["vary"]) == ("id", "Accept-Language")
    assert r.json() == {
        "type": "about:blank",
        "title": "Tidak ditemukan",
        "status": 404,
        "detail": "tidak ada barang 0",
        "instance": "/things/0",
    }


async def test_a_client_preferring_english_gets_the_problem_in_english(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/things/0", headers={"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    assert r.status_code == 404
    assert r.headers["content-language"] == "en"
    assert (r.json()["title"], r.json()["detail"]) == ("Not found", "no thing 0")


async def test_a_rate_limited_answer_says_when_to_retry(client: httpx.AsyncClient) -> None:
    r = await client.get("/slow")
    assert (r.status_code, r.headers["retry-after"]) == (429, "2")


async def test_invalid_input_is_a_problem_naming_the_field_without_its_value(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/things/3171015001900001")
    assert r.status_code == 200  # an int
    r = await client.get("/things/nik-3171015001900001")
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["errors"][0]["field"] == "path.thing_id"
    body = r.json()
    assert "3171015001900001" not in json.dumps([body["detail"], body["errors"]])


async def test_a_body_that_is_not_utf8_is_a_documented_400_problem(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(
        "/notes", content=b'{"text": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM_JSON


async def test_a_405_lists_every_method_of_the_path_in_allow(client: httpx.AsyncClient) -> None:
    r = await client.delete("/things/1")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, PATCH"


async def test_a_server_error_keeps_the_request_id_in_its_header_and_its_log_line(
    client: httpx.AsyncClient,
) -> None:
    # Log lines go to a buffer of this test's own; the configuration is restored afterwards
    # (a logger left writing to a captured stream would fail every later test's logging).
    previous = structlog.get_config()
    lines = io.StringIO()
    configure_logging(service="test", fmt="json")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(lines))
    try:
        r = await client.get("/broken", headers={"x-request-id": "req-4711"})
    finally:
        structlog.configure(**previous)
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-4711"
    assert r.headers["content-type"] == PROBLEM_JSON
    assert "a bug" not in r.text
    logged = [json.loads(x) for x in lines.getvalue().splitlines()]
    [error] = [x for x in logged if x.get("event") == "unhandled error"]
    assert error["correlation_id"] == "req-4711"
    assert "RuntimeError: a bug" in error["exception"]


def test_each_route_documents_exactly_the_errors_it_declares_and_its_input_errors() -> None:
    spec = make_app().openapi()
    get = spec["paths"]["/things/{thing_id}"]["get"]["responses"]
    patch = spec["paths"]["/things/{thing_id}"]["patch"]["responses"]
    assert sorted(get) == ["200", "404", "422"]
    assert sorted(patch) == ["200", "403", "409", "422"]
    assert sorted(spec["paths"]["/broken"]["get"]["responses"]) == ["200"]
    assert sorted(spec["paths"]["/notes"]["post"]["responses"]) == ["200", "400", "422"]
    problem = {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}
    assert get["404"]["content"] == {PROBLEM_JSON: problem}
    assert get["422"]["content"] == {PROBLEM_JSON: problem}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert {"title", "status", "detail"} <= set(
        spec["components"]["schemas"]["ProblemDocument"]["required"]
    )
