"""Request dependencies of training's routes: the service's typed state, and the language
a route's own texts (warnings, refusal reasons) are answered in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.training.state import TrainingState
from shared.i18n import Language, language_of


async def service_state(request: Request) -> TrainingState:
    """The state create_app stored on the application."""
    state = request.app.state.service
    if not isinstance(state, TrainingState):
        raise TypeError("the application was not built by training's create_app")
    return state


State = Annotated[TrainingState, Depends(service_state)]


async def answer_language(request: Request) -> Language:
    """Indonesian unless the client's `Accept-Language` prefers English (`shared.i18n`)."""
    return language_of(request.headers)


Lang = Annotated[Language, Depends(answer_language)]
