"""Request dependencies of training's routes: the service's typed state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.training.state import TrainingState


async def service_state(request: Request) -> TrainingState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, TrainingState):
        raise TypeError("the application was not built by training's create_app")
    return state


State = Annotated[TrainingState, Depends(service_state)]
