"""Unknown query parameters are refused (422 naming them), never silently ignored: a
mistyped filter (`?regon=32.76`) would otherwise answer the unfiltered list.

`refuse_unknown_query_params` is a FastAPI dependency; give it to the routers of a service
(`create_service_app(..., dependencies=[Depends(refuse_unknown_query_params)])`). It reads
the query parameters the matched route declares (its own and its dependencies').
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from shared.i18n import t

_DECLARED: dict[int, frozenset[str]] = {}


def declared_query_params(route: APIRoute) -> frozenset[str]:
    """The query parameter names (aliases) a route accepts."""
    found = _DECLARED.get(id(route))
    if found is None:
        found = frozenset(_query_names(route.dependant))
        _DECLARED[id(route)] = found
    return found


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def refuse_unknown_query_params(request: Request) -> None:
    """Raise a 422 (`RequestValidationError`, field `query.<name>`) for every query
    parameter the route does not declare. Only the names are reported, never the values."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params.keys()) - declared_query_params(route))
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": UNKNOWN.en,
                    "type": "extra_forbidden",
                    # the message in both languages (`shared.problems.field_message`)
                    "ctx": {"error": ValueError(UNKNOWN)},
                }
                for name in unknown
            ]
        )


UNKNOWN = t("parameter kueri ini tidak dikenal", "unknown query parameter")
