"""Routes for the platform's other services (service tokens only, each route one permission).

What an operator types about a session (its title, the organiser's name, the venue's name)
is not published on the public topics; a service that must tell people about a session
(notifications) reads it here with its own token holding `sessions:read`.
"""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.training.domain.enums import SessionStatus
from services.training.domain.errors import SessionNotFound
from services.training.service.common import scoped_session
from shared.auth import NeedsSessionsRead
from shared.deps import ReadSession
from shared.problems import raises
from shared.regions import timezone_of

router = APIRouter(prefix="/internal", tags=["internal"])


class SessionTexts(BaseModel):
    """A session as a message about it needs it: its typed names, place, dates and status."""

    session_id: uuid.UUID
    title: str
    organiser_agency: str
    venue_name: str
    venue_village_code: str
    start_date: date
    end_date: date
    timezone: str = Field(description="IANA zone of the venue")
    status: SessionStatus


@router.get(
    "/sessions/{session_id}",
    response_model=SessionTexts,
    summary="A session's title, organiser and venue (services holding sessions:read)",
)
@raises(SessionNotFound)
async def session_texts(
    session_id: uuid.UUID, principal: NeedsSessionsRead, session: ReadSession
) -> SessionTexts:
    """The session's current texts and dates; 404 when training knows no such session."""
    row = await scoped_session(session, principal, session_id)
    return SessionTexts(
        session_id=row.id,
        title=row.title,
        organiser_agency=row.organiser_agency,
        venue_name=row.venue_name,
        venue_village_code=row.venue_village_code,
        start_date=row.start_date,
        end_date=row.end_date,
        timezone=timezone_of(row.venue_village_code),
        status=row.status,
    )
