"""HTTP routes of notifications (thin: parse, authorise, call a use-case)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.notifications.wiring import Deps


async def _deps(request: Request) -> Deps:
    return request.app.state.deps  # type: ignore[no-any-return]


NotificationDeps = Annotated[Deps, Depends(_deps)]
