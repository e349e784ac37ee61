"""console: create_app(settings) builds the pages; `app` exists only for the server."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.console.catalogue import LANG_COOKIE
from services.console.client import Api, NotAllowed, NotFound, SignInAgain, Unavailable
from services.console.config import Settings
from services.console.pages import (
    auth,
    bimtek_enrolment,
    bimtek_results,
    bimtek_session,
    bimtek_sessions,
    certificates,
    dashboard,
    imports,
    messages,
    operators,
    person,
    public,
    registration,
    volunteer,
    volunteers,
)
from services.console.session import COOKIE, SessionCodec
from services.console.web import (
    HERE,
    ConsoleState,
    CsrfRefused,
    SessionEnded,
    render,
    require_csrf,
    templates,
)
from shared.clock import SYSTEM_CLOCK, Clock
from shared.http import ObserveRequests
from shared.logging import configure_logging, get_logger
from shared.metrics import ServiceMetrics

log = get_logger("console.main")
NAME = "console"


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    """Build the console; `transports` lets tests call in-process services."""
    settings = settings or Settings()
    configure_logging(service=NAME, fmt=settings.log_format, level=settings.log_level)
    # httpx logs every request's URL at INFO; a name search's URL holds a name.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    api = Api(
        {
            "registry": settings.registry_url,
            "training": settings.training_url,
            "notifications": settings.notifications_url,
        },
        timeout_s=settings.api_timeout_s,
        transports=dict(transports or {}),
    )
    state = ConsoleState(
        settings=settings,
        api=api,
        codec=SessionCodec(settings.session_secret.get_secret_value()),
        templates=templates(),
        metrics=ServiceMetrics(NAME),
        clock=clock or SYSTEM_CLOCK,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("console started")
        try:
            yield
        finally:
            await api.close()

    app = FastAPI(
        title="PSM console",
        description="Pages for operators, over the registry, training and notifications APIs.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.console = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (
        auth.router,
        dashboard.router,
        registration.router,
        volunteers.router,
        person.router,
        imports.router,
        operators.router,
        bimtek_sessions.router,
        bimtek_session.router,
        bimtek_enrolment.router,
        bimtek_results.router,
        messages.router,
        certificates.router,
        public.router,
        volunteer.router,
    ):
        app.include_router(router, dependencies=[Depends(require_csrf)])
    app.add_exception_handler(volunteer.VolunteerSessionOver, volunteer.session_over)
    _platform_routes(app, state)
    _error_pages(app)
    app.middleware("http")(_session_cookie)
    app.add_middleware(ObserveRequests, metrics=state.metrics)
    return app


async def _session_cookie(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Open the session cookie before the page; write it back when the page changed it."""
    state: ConsoleState = request.app.state.console
    request.state.session = state.codec.open(request.cookies.get(COOKIE))
    request.state.session_changed = False
    response = await call_next(request)
    if request.state.session_changed:
        session = request.state.session
        if session is None:
            response.delete_cookie(COOKIE, path="/")
        else:
            response.set_cookie(
                COOKIE,
                state.codec.seal(session),
                httponly=True,
                samesite="lax",
                secure=state.settings.secure_cookies,
                path="/",
            )
    return response


def _platform_routes(app: FastAPI, state: ConsoleState) -> None:
    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": NAME}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        # Ready when registry answers: without it nobody can sign in.
        try:
            r = await state.api.client("registry").get("/health", timeout=3)
            check = "ok" if r.status_code == 200 else f"error: {r.status_code}"
        except httpx.HTTPError as exc:
            check = f"error: {type(exc).__name__}"
        ok = check == "ok"
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": {"registry": check}},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", include_in_schema=False, response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dasbor", status_code=303)


def _error_pages(app: FastAPI) -> None:
    @app.exception_handler(SessionEnded)
    async def _ended(request: Request, exc: SessionEnded) -> Response:
        return RedirectResponse("/masuk?pesan=habis", status_code=303)

    @app.exception_handler(SignInAgain)
    async def _sign_in(request: Request, exc: SignInAgain) -> Response:
        return RedirectResponse("/masuk?pesan=masuk", status_code=303)

    @app.exception_handler(NotAllowed)
    async def _forbidden(request: Request, exc: NotAllowed) -> Response:
        return render(request, "error.html", status=403, message_key="error.403")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return render(request, "error.html", status=404, message_key="error.404")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return render(request, "error.html", status=403, message_key="error.csrf")

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, exc: Unavailable) -> Response:
        return render(request, "error.html", status=503, message_key="error.unavailable")

    @app.exception_handler(404)
    async def _no_page(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", status=404, message_key="error.404")


def __getattr__(name: str) -> FastAPI:
    # Why lazy: importing the module must not build an app or read settings.
    if name == "app":
        return create_app()
    raise AttributeError(name)


__all__ = ["LANG_COOKIE", "create_app"]
