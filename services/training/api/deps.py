"""Request dependencies of training's routes: the service's typed state."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from services.training.state import TrainingState
from shared.problems import PROBLEM_JSON


async def service_state(request: Request) -> TrainingState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, TrainingState):
        raise TypeError("the application was not built by training's create_app")
    return state


State = Annotated[TrainingState, Depends(service_state)]


# FastAPI answers 400 (a problem document, via shared.problems) when a body is not readable
# JSON at all (e.g. not UTF-8). TRANSITIONAL until shared.problems documents it per route.
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "The body is not readable JSON",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
    }
}
