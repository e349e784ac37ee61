"""The background job: reminders and ledger rows that are due get delivered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from services.notifications.service import audience, delivery
from services.notifications.state import NotificationsState
from shared.dead_letters import describe_error
from shared.logging import get_logger

log = get_logger("notifications.dispatcher")
Pause = Callable[[float], Awaitable[None]]


async def dispatch_round(state: NotificationsState) -> bool:
    """One round (due reminders, due rows, the daily digest); True if a batch was full."""
    settings = state.notifications_settings
    try:
        done = await delivery.dispatch_once(state)
        await audience.run_digest_if_due(state, now=state.clock.now())
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a failing round is logged and the next one tries again
        log.error("dispatch round failed", error=describe_error(exc))
        return False
    return max(done.values()) >= settings.dispatch_batch_size


async def dispatch_forever(state: NotificationsState, *, pause: Pause = asyncio.sleep) -> None:
    """Poll every `dispatch_interval_s`, at once again after a full batch (a backlog is
    worked off without pauses)."""
    while True:
        full = await dispatch_round(state)
        await pause(0 if full else state.notifications_settings.dispatch_interval_s)
