"""The one mapping from domain exceptions to RFC 9457 problems, and its OpenAPI documentation.

Every error a service answers is `application/problem+json`. Use-cases raise the kinds of
`shared.errors`; this module turns a kind into its status, and documents, route by route,
the statuses a route can answer: the kinds its endpoint and dependencies declare with
`@raises(...)`, 422 where the route takes input, and 401 where it needs a token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMedia,
)
from shared.i18n import Text, language_of, localize
from shared.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("shared.problems")
F = TypeVar("F", bound=Callable[..., Any])

STATUS: dict[type[DomainError], int] = {
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    UnsupportedMedia: 415,
    RateLimited: 429,
    Unavailable: 503,
}


class FieldError(BaseModel):
    """One refused field of a request."""

    field: str
    message: str


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document, as every error of the platform is answered."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


def status_of(kind: type[DomainError]) -> int:
    """The HTTP status of a domain exception class (its nearest mapped kind)."""
    for cls in kind.__mro__:
        if cls in STATUS:
            return STATUS[cls]
    raise TypeError(f"{kind.__name__} does not subclass a kind of shared.errors")


def raises(*kinds: type[DomainError]) -> Callable[[F], F]:
    """Declare the domain errors an endpoint or a dependency can raise (for OpenAPI)."""

    def mark(fn: F) -> F:
        fn.__problems__ = (*getattr(fn, "__problems__", ()), *kinds)  # type: ignore[attr-defined]
        return fn

    return mark


def problem_response(
    request: Request,
    status: int,
    title: str | Text,
    detail: str | Text,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem document answer (used by the handlers below and by the request observer).

    `title`, `detail` and any `Text` inside `extra` are answered in the request's language
    (`shared.i18n`: Indonesian unless `Accept-Language` prefers English)."""
    headers = dict(headers or {})
    language = language_of(request.headers)
    headers["Content-Language"] = language
    headers["Vary"] = "Accept-Language"
    title = localize(title, language)
    detail = localize(detail, language)
    extra = localize(extra, language)
    if "retry_after_s" in extra:
        headers["Retry-After"] = str(max(1, round(float(extra["retry_after_s"]))))
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer domain errors, validation errors and HTTP errors as problem documents."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(request, status_of(type(exc)), exc.title, exc.text, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Why no input values: a rejected NIK or phone number must not be echoed back into logs.
        errors: list[dict[str, Any]] = [
            {
                "field": ".".join(str(p) for p in err["loc"] if p != "body"),
                # Pydantic's messages never hold the input; ours (ValueError in a validator)
                # come as "Value error, <our message>" (or carry a `Text`).
                "message": field_message(err),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(str(e["field"]) for e in errors)
        return problem_response(
            request,
            422,
            Invalid.title,
            Text(f"isian tidak valid: {fields}", f"invalid fields: {fields}"),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Keeps the exception's headers (`WWW-Authenticate` on a 401). On a 405, `Allow`
        # lists every method of the path: Starlette names only the first route that matched
        # the path, and a path often has several (GET and PATCH of one resource).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request.url.path))
        text = HTTP_TEXTS.get(exc.status_code)
        detail: str | Text = str(exc.detail)
        if text is not None and str(exc.detail) == text.en:
            detail = text
        return problem_response(request, exc.status_code, detail, detail, headers=headers)


# Starlette's own answers (a path no route has, a method a route lacks, an unreadable body).
HTTP_TEXTS: dict[int, Text] = {
    400: Text("Permintaan tidak dapat dibaca", "Bad Request"),
    404: Text("Tidak ditemukan", "Not Found"),
    405: Text("Metode tidak diizinkan", "Method Not Allowed"),
    406: Text("Format jawaban tidak tersedia", "Not Acceptable"),
    413: Text("Permintaan terlalu besar", "Request Entity Too Large"),
    415: Text("Jenis isi tidak didukung", "Unsupported Media Type"),
}

# Pydantic's refusals by error type, in both languages (`{…}` from the error's context).
FIELD_TEXTS: dict[str, tuple[str, str]] = {
    "missing": ("wajib diisi", "Field required"),
    "extra_forbidden": ("isian ini tidak dikenal", "Extra inputs are not permitted"),
    "string_type": ("harus berupa teks", "Input should be a valid string"),
    "string_too_short": (
        "terlalu pendek (minimal {min_length} karakter)",
        "String should have at least {min_length} characters",
    ),
    "string_too_long": (
        "terlalu panjang (maksimal {max_length} karakter)",
        "String should have at most {max_length} characters",
    ),
    "string_pattern_mismatch": ("formatnya tidak sesuai", "String should match pattern"),
    "int_parsing": ("harus berupa bilangan bulat", "Input should be a valid integer"),
    "int_type": ("harus berupa bilangan bulat", "Input should be a valid integer"),
    "int_from_float": ("harus berupa bilangan bulat", "Input should be a valid integer"),
    "float_parsing": ("harus berupa angka", "Input should be a valid number"),
    "float_type": ("harus berupa angka", "Input should be a valid number"),
    "bool_parsing": ("harus ya atau tidak (true/false)", "Input should be a valid boolean"),
    "bool_type": ("harus ya atau tidak (true/false)", "Input should be a valid boolean"),
    "greater_than": ("harus lebih dari {gt}", "Input should be greater than {gt}"),
    "greater_than_equal": (
        "minimal {ge}",
        "Input should be greater than or equal to {ge}",
    ),
    "less_than": ("harus kurang dari {lt}", "Input should be less than {lt}"),
    "less_than_equal": ("maksimal {le}", "Input should be less than or equal to {le}"),
    "date_parsing": (
        "harus berupa tanggal (TTTT-BB-HH)",
        "Input should be a valid date (YYYY-MM-DD)",
    ),
    "date_from_datetime_parsing": (
        "harus berupa tanggal (TTTT-BB-HH)",
        "Input should be a valid date (YYYY-MM-DD)",
    ),
    "date_type": ("harus berupa tanggal (TTTT-BB-HH)", "Input should be a valid date"),
    "datetime_parsing": ("harus berupa waktu (ISO 8601)", "Input should be a valid datetime"),
    "datetime_from_date_parsing": (
        "harus berupa waktu (ISO 8601)",
        "Input should be a valid datetime",
    ),
    "datetime_type": ("harus berupa waktu (ISO 8601)", "Input should be a valid datetime"),
    "time_parsing": ("harus berupa jam (JJ:MM)", "Input should be a valid time"),
    "uuid_parsing": ("harus berupa UUID", "Input should be a valid UUID"),
    "uuid_type": ("harus berupa UUID", "Input should be a valid UUID"),
    "enum": ("harus salah satu dari: {expected}", "Input should be {expected}"),
    "literal_error": ("harus salah satu dari: {expected}", "Input should be {expected}"),
    "list_type": ("harus berupa daftar", "Input should be a valid list"),
    "dict_type": ("harus berupa objek", "Input should be a valid dictionary"),
    "model_type": ("harus berupa objek", "Input should be a valid dictionary or object"),
    "model_attributes_type": ("harus berupa objek", "Input should be a valid dictionary"),
    "too_short": (
        "terlalu sedikit (minimal {min_length} butir)",
        "List should have at least {min_length} items",
    ),
    "too_long": (
        "terlalu banyak (maksimal {max_length} butir)",
        "List should have at most {max_length} items",
    ),
    "json_invalid": ("bukan JSON yang sah", "Invalid JSON"),
    "json_type": ("bukan JSON yang sah", "JSON input should be string, bytes or bytearray"),
    "decimal_parsing": ("harus berupa angka desimal", "Input should be a valid decimal"),
    "url_parsing": ("harus berupa URL", "Input should be a valid URL"),
    "value_error": ("nilai tidak valid", "Value error"),
    "assertion_error": ("nilai tidak valid", "Assertion failed"),
}


def field_message(err: Mapping[str, Any]) -> Text:
    """One refused field's message in both languages (never the refused value itself)."""
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, Exception) and cause.args and isinstance(cause.args[0], Text):
        return cause.args[0]
    english = str(err.get("msg", "")).removeprefix("Value error, ")
    pair = FIELD_TEXTS.get(str(err.get("type", "")))
    if pair is None:
        return Text(english, english)
    if err.get("type") in ("value_error", "assertion_error"):
        # our validators' own message (not yet translated): keep it, in both languages
        return Text(english, english)
    try:
        return Text(pair[0].format(**ctx), english)
    except (KeyError, IndexError, ValueError):
        return Text(pair[0], english)


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document lists for the template matching `path`."""
    if not hasattr(app.state, "path_methods"):
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = sorted(m.upper() for m in operations if m != "parameters")
            table.append((re.compile(f"^{pattern}$"), methods))
        app.state.path_methods = table
    for pattern, methods in app.state.path_methods:
        if pattern.match(path):
            return list(methods)
    return []


# --- OpenAPI -----------------------------------------------------------------------------


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}


def _declared(dependant: Dependant) -> Iterable[type[DomainError]]:
    yield from getattr(dependant.call, "__problems__", ())
    for sub in dependant.dependencies:
        yield from _declared(sub)


def _takes_input(route: APIRoute) -> bool:
    flat = route.dependant
    stack = [flat]
    while stack:
        d = stack.pop()
        if d.path_params or d.query_params or d.header_params or d.cookie_params:
            return True
        if d.body_params:
            return True
        stack.extend(d.dependencies)
    return route.body_field is not None


def _takes_body(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        d = stack.pop()
        if d.body_params:
            return True
        stack.extend(d.dependencies)
    # A route that reads its body itself (an upload) declares it in `openapi_extra`.
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


# FastAPI answers 400 itself when a body cannot be read at all (bytes that are not UTF-8, a
# broken multipart form); the handler above turns it into a problem document.
UNREADABLE_BODY = "The body could not be read (not UTF-8, or a malformed form or JSON document)"


def route_statuses(route: APIRoute) -> dict[int, str]:
    """The error statuses a route can answer, with the titles that explain them."""
    found: dict[int, list[str]] = {400: [UNREADABLE_BODY]} if _takes_body(route) else {}
    kinds = list(_declared(route.dependant))
    if _takes_input(route):
        kinds.append(Invalid)
    for kind in kinds:
        found.setdefault(status_of(kind), [])
        title = kind.__doc__.strip().splitlines()[0] if kind.__doc__ else str(kind.title)
        if title not in found[status_of(kind)]:
            found[status_of(kind)].append(title)
    return {status: " / ".join(titles) for status, titles in sorted(found.items())}


def document_problems(app: FastAPI, routers: Iterable[APIRouter] = ()) -> None:
    """Add each route's error statuses (problem+json) to its OpenAPI responses.

    Call before the routers are included (FastAPI builds included routes from them). Its
    own 422 (`HTTPValidationError`, plain JSON) is replaced, because the handler above
    answers a problem document instead.
    """
    for route in [*app.router.routes, *(r for router in routers for r in router.routes)]:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for status, description in route_statuses(route).items():
            route.responses.setdefault(
                status, {"description": description, "content": _problem_content()}
            )
    _add_problem_schema(app)


def _add_problem_schema(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ProblemDocument"] = ProblemDocument.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        defs = components["ProblemDocument"].pop("$defs", {})
        components.update(defs)
        for name in ("HTTPValidationError", "ValidationError"):
            if not _referenced(schema, name):
                components.pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _referenced(schema: dict[str, Any], name: str) -> bool:
    import json

    paths = json.dumps(schema.get("paths", {}))
    return f"#/components/schemas/{name}" in paths
