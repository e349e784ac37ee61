"""The one client the pages call the services with: always the operator's own token.

A 401 means the session is over (`SignInAgain`); 403 and 404 become a friendly page
(`NotAllowed`, `NotFound`); a 422 carries the refused fields (`Refused`), each message
already in the page's language (the services localise by `Accept-Language`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Service = Literal["registry", "training", "notifications"]


class ApiProblem(Exception):
    """A service refused or failed a call (the kinds below say how the page reacts)."""

    def __init__(self, status: int, detail: str = "", errors: list[dict[str, str]] | None = None):
        super().__init__(f"{status}")
        self.status = status
        self.detail = detail
        self.errors = errors or []

    @property
    def field_errors(self) -> dict[str, str]:
        """Refused fields, by name (nested names dotted: `consents.contact`)."""
        return {e.get("field", ""): e.get("message", "") for e in self.errors}


class SignInAgain(ApiProblem):
    """401: the token is no longer accepted (expired, logged out, disabled)."""


class NotAllowed(ApiProblem):
    """403: the operator's role or region does not allow this."""


class NotFound(ApiProblem):
    """404: absent, or outside the operator's region (the services do not tell which)."""


class Refused(ApiProblem):
    """400, 409, 413, 422, 429: the input was refused; `detail` and `errors` say why."""


class Unavailable(ApiProblem):
    """A service did not answer, or answered 5xx."""


@dataclass
class Api:
    """HTTP clients of the three services (one connection pool each)."""

    urls: Mapping[Service, str]
    timeout_s: float = 30.0
    #: tests may hand in transports (in-process apps); None: the network
    transports: Mapping[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict, init=False)

    def client(self, service: Service) -> httpx.AsyncClient:
        """The client of one service (created on first use)."""
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(
                base_url=self.urls[service],
                timeout=self.timeout_s,
                transport=self.transports.get(service),
            )
        return self._clients[service]

    async def close(self) -> None:
        """Close every connection pool."""
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()

    async def send(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        token: str | None,
        language: str = "id",
        **kwargs: Any,
    ) -> httpx.Response:
        """One call; answers 2xx (and 3xx) as they are, raises an `ApiProblem` otherwise."""
        headers = {"Accept-Language": language, **kwargs.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self.client(service).request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise Unavailable(503, type(exc).__name__) from exc
        if response.status_code < 400:
            return response
        raise problem_of(response)

    async def json(self, service: Service, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON."""
        return (await self.send(service, "GET", path, **kwargs)).json()


def problem_of(response: httpx.Response) -> ApiProblem:
    """The exception for a refused call, with the problem document's detail and fields."""
    status = response.status_code
    detail, errors = "", []
    if "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
            detail = str(body.get("detail") or body.get("title") or "")
            errors = [
                {"field": str(e.get("field", "")), "message": str(e.get("message", ""))}
                for e in body.get("errors") or []
            ]
        except ValueError:
            pass
    kind: type[ApiProblem]
    if status == 401:
        kind = SignInAgain
    elif status == 403:
        kind = NotAllowed
    elif status == 404:
        kind = NotFound
    elif status >= 500:
        kind = Unavailable
    else:
        kind = Refused
    return kind(status, detail, errors)
