"""The background loop: reminders and ledger rows that are due get delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from services.notifications.service import audience, delivery
from services.notifications.wiring import Deps
from shared.consumer import describe_error
from shared.logging import get_logger

log = get_logger("notifications.dispatcher")


def dispatcher(deps: Deps) -> Callable[[Any], Coroutine[Any, Any, None]]:
    async def dispatch_loop(state: Any) -> None:
        """Poll every `dispatch_interval_s`, at once again after a full batch (a backlog is
        worked off without pauses); a failing round is logged and retried."""
        while True:
            full = False
            try:
                done = await delivery.dispatch_once(deps)
                await audience.run_digest_if_due(deps, deps.clock())
                full = max(done.values()) >= deps.settings.dispatch_batch_size
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("dispatch round failed", error=describe_error(exc))
            await asyncio.sleep(0 if full else deps.settings.dispatch_interval_s)

    return dispatch_loop
