"""The FastAPI application every service is built on: lifespan, probes, metrics, AsyncAPI."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from faststream.specification.asyncapi.site import get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asyncapi import asyncapi_document
from shared.kafka import describe_topic_problems, ensure_topics, missing_or_mismatched_topics
from shared.logging import configure_logging, get_logger
from shared.outbox import correlation_id_var, wake_relay_after_commit
from shared.problems import document_problems, install_problem_handlers, problem_response
from shared.runtime import Runtime, ServiceState

log = get_logger("shared.http")
# Startup hooks and background jobs receive the service's typed state (a ServiceState).
Hook = Callable[[Any], Awaitable[None]]
Job = Callable[[Any], Coroutine[Any, Any, None]]


def create_service_app(
    state: ServiceState,
    *,
    title: str,
    description: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    dependencies: Sequence[Any] = (),
    on_startup: Sequence[Hook] = (),
    background: Sequence[Job] = (),
) -> FastAPI:
    """Assemble a service: routes, probes, metrics, AsyncAPI, and a lifespan that starts
    the broker and the outbox relay and stops them in the safe order. `dependencies` run
    on every route of `routers` (e.g. `shared.query_params.refuse_unknown_query_params`)."""
    runtime = state.runtime
    settings = runtime.settings
    configure_logging(service=runtime.name, fmt=settings.log_format, level=settings.log_level)
    runtime.consumer.subscribe()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(settings, runtime.topics())
        for hook in on_startup:
            await hook(state)
        remove_listener = wake_relay_after_commit(runtime.session_class, runtime.relay.notify)
        await runtime.broker.start()
        await runtime.producer.start()
        runtime.relay.start()
        tasks = [asyncio.create_task(job(state), name=job.__name__) for job in background]
        log.info("service started", topics=sorted(runtime.topics()))
        try:
            yield
        finally:
            # Order matters: stop consuming first (in-flight handlers finish and commit,
            # FastStream waits up to its graceful_timeout of 15 s for them), then flush the
            # outbox, then close the producer and the database. Background jobs are awaited
            # after cancelling, so none still holds a connection when the engine closes.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for sub in list(runtime.broker.subscribers):
                with contextlib.suppress(Exception):
                    await sub.stop()
            await runtime.relay.stop()
            with contextlib.suppress(Exception):
                await runtime.producer.stop()
            with contextlib.suppress(Exception):
                await runtime.broker.stop()
            remove_listener()
            await runtime.engine.dispose()
            log.info("service stopped")

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.service = state
    app.state.settings = settings
    install_problem_handlers(app)
    _install_middleware(app, runtime)
    _install_platform_routes(app, runtime, title=title, version=version, description=description)
    document_problems(app, routers)
    for router in routers:
        app.include_router(router, dependencies=list(dependencies))
    return app


def _install_middleware(app: FastAPI, runtime: Runtime) -> None:
    app.add_middleware(ObserveRequests, metrics=runtime.metrics)


class ObserveRequests:
    """Request id → correlation id (log lines, staged events, `x-request-id` response
    header), and the request counter and latency histogram per route template.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs
    each request in an extra task with in-memory streams, a measurable part of a request's
    CPU on a busy service.
    """

    def __init__(self, app: ASGIApp, metrics: Any) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Observe one request (lifespan and websocket scopes pass through)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or str(uuid.uuid4())
        token = correlation_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(correlation_id=request_id)
        started = time.perf_counter()
        status = 500
        status_sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Why here and not in an exception handler: Starlette answers unhandled errors
            # outside every middleware, so its 500 would carry no request id and its log
            # line no correlation id. The error is logged and answered once, here.
            log.exception("unhandled error", path=scope.get("path"), method=scope["method"])
            if status_sent:
                raise
            response = problem_response(
                Request(scope), 500, "Internal error", "the request failed; it has been logged"
            )
            await response(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "<unmatched>")
            method = scope["method"]
            self.metrics.http_requests.labels(method, template, str(status)).inc()
            self.metrics.http_latency.labels(method, template).observe(
                time.perf_counter() - started
            )
            structlog.contextvars.unbind_contextvars("correlation_id")
            correlation_id_var.reset(token)


class Readiness(BaseModel):
    """The readiness answer: each check "ok" or "error: <why>"."""

    status: str
    checks: dict[str, str]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _install_platform_routes(
    app: FastAPI, runtime: Runtime, *, title: str, version: str, description: str
) -> None:
    spec_cache: dict[str, Any] = {}

    def spec() -> Any:
        if "spec" not in spec_cache:
            spec_cache["spec"] = asyncapi_document(
                runtime, title=title, version=version, description=description
            ).to_specification()
        return spec_cache["spec"]

    @app.get(
        "/health",
        tags=["platform"],
        summary="Liveness: the process answers",
        response_model=dict[str, str],
    )
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    topics_check = TopicsCheck(runtime)

    @app.get(
        "/ready",
        tags=["platform"],
        summary="Readiness: database and broker reachable, every topic present as configured",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Not ready: a check failed"}},
    )
    async def ready() -> JSONResponse:
        checks = {
            "database": await _check_db(runtime),
            "broker": await _check_broker(runtime),
            "topics": await topics_check(),
        }
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get(
        "/metrics",
        tags=["platform"],
        summary="Prometheus metrics (text exposition format)",
        response_class=PlainTextResponse,
    )
    async def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/asyncapi.json",
        tags=["platform"],
        summary="AsyncAPI document of this service's topics",
        response_model=dict[str, Any],
    )
    async def asyncapi_json() -> Response:
        return Response(spec().to_json(), media_type="application/json")

    @app.get("/asyncapi", tags=["platform"], summary="AsyncAPI page", response_class=HTMLResponse)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(spec()))


async def _check_db(runtime: Runtime) -> str:
    try:
        async with runtime.read_sessionmaker() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), 3)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


async def _check_broker(runtime: Runtime) -> str:
    try:
        return "ok" if await runtime.broker.ping(timeout=3.0) else "error: unreachable"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


class TopicsCheck:
    """Readiness of the topics: every topic the service needs exists on the broker with its
    configured partition count.

    Why not a ping: a broker that lost its log (wiped, restored from nothing) answers pings
    while it knows none of our topics; the relay then holds every event and consumers read
    nothing. One metadata request, its answer reused for `ready_topics_cache_s`.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._result = ""
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def __call__(self) -> str:
        """Answer "ok", or "error: <why>" naming the missing or mismatched topics."""
        settings = self._runtime.settings
        async with self._lock:  # concurrent probes share one request
            now = time.monotonic()
            if now - self._checked_at < settings.ready_topics_cache_s:
                return self._result
            result = await self._check()
            if result != self._result and result != "ok":  # say it once per change
                log.error("topics not ready", check=result)
            self._result, self._checked_at = result, time.monotonic()
            return result

    async def _check(self) -> str:
        settings = self._runtime.settings
        try:
            problems = await missing_or_mismatched_topics(
                settings, self._runtime.topics(), timeout_s=settings.ready_check_timeout_s
            )
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        if not problems:
            return "ok"
        return f"error: {describe_topic_problems(problems)}"
