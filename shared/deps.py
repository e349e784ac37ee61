"""Request-scoped dependencies: a session per request; the route owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.sessionmaker() as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.read_sessionmaker() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]
ReadSession = Annotated[AsyncSession, Depends(_read_session)]
