"""How a page's continuation is told: the body stays a list (unchanged for every client);
the next page is named in the headers `Link: <…&after=CURSOR>; rel="next"` (RFC 8288) and
`X-Next-Cursor: CURSOR`, both absent on the last page."""

from __future__ import annotations

from fastapi import Query, Request, Response

from services.notifications.domain.paging import CURSOR_PATTERN, MAX_PAGE, Cursor

LIMIT = Query(100, ge=1, le=MAX_PAGE, description=f"rows per page (at most {MAX_PAGE})")
AFTER = Query(
    None,
    pattern=CURSOR_PATTERN,
    description="cursor from the previous page's X-Next-Cursor or Link rel=next (opaque)",
)
NEXT_CURSOR = "X-Next-Cursor"


def cursor_of(after: str | None) -> Cursor | None:
    """The cursor a client handed back (InvalidCursor, a 422, if it is not one of ours)."""
    return Cursor.decode(after) if after else None


def link_next(request: Request, response: Response, next_page: Cursor | None) -> None:
    """Name the next page in the response's headers, if there is one."""
    if next_page is None:
        return
    cursor = next_page.encode()
    url = request.url.include_query_params(after=cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
    response.headers[NEXT_CURSOR] = cursor
