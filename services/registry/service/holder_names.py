"""Volunteers' names for a purpose from a closed list (a certificate printed with its holder's
name, a session's roster naming its participants), read in the operator's scope and audited:
the console shows or prints names it never keeps."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.registry.db.tables import Volunteer
from services.registry.domain.enums import AuditAction
from services.registry.service.access import Actor, audit, audit_each, in_scope


class NamePurpose(enum.StrEnum):
    """Why names are read (the audit log says so); a new purpose is a new member."""

    #: a certificate printed with its holder's name
    CERTIFICATE_PRINT = "certificate_print"
    #: a Bimtek session's rosters (session page, attendance sheet, scores, completion
    #: preview) naming their participants
    PARTICIPANT_LIST = "participant_list"


async def names_in_scope(
    session: AsyncSession,
    ids: list[uuid.UUID],
    *,
    actor: Actor,
    purpose: NamePurpose,
    now: datetime,
) -> dict[uuid.UUID, str]:
    """The names of the asked volunteers who lie in the actor's scope and are not erased.

    Others are absent, exactly like unknown ids (the caller cannot tell which). Every name
    given is audited against its volunteer (a data subject sees who read their name, and
    why); a call that gives none still leaves one entry. Names never enter the audit log.
    """
    asked = list(dict.fromkeys(ids))
    query = select(col(Volunteer.id), col(Volunteer.full_name)).where(
        and_(
            col(Volunteer.id).in_(asked),
            col(Volunteer.erased_at).is_(None),
            in_scope(actor),
        )
    )
    names = {row.id: row.full_name for row in await session.execute(query)}
    detail = f"names for {purpose}: {len(names)} of {len(asked)} asked"
    if names:
        await audit_each(
            session, actor, AuditAction.VOLUNTEER_READ, list(names), now=now, detail=detail
        )
    else:
        audit(session, actor, AuditAction.VOLUNTEER_READ, now=now, detail=detail)
    return names
