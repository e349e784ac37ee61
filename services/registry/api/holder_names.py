"""POST /volunteers/holder-names: names read for a stated purpose, at the moment they are shown
(a printed certificate's holder, a session roster's participants), audited one row per name.

POST, not GET: the ids asked for (and the names answered) stay out of URLs and access logs.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.registry.api.deps import OperatorActor, State
from services.registry.service.holder_names import NamePurpose, names_in_scope
from shared.deps import Session

router = APIRouter(prefix="/volunteers", tags=["volunteers"])

MAX_BATCH = 500


class HolderNamesRequest(BaseModel):
    """Whose names, and why (a purpose from a closed list, written to the audit log)."""

    volunteer_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)
    purpose: NamePurpose = Field(examples=["certificate_print"])


class HolderName(BaseModel):
    """One volunteer's name as registry holds it."""

    volunteer_id: uuid.UUID
    full_name: str


class HolderNames(BaseModel):
    """The names of the asked volunteers in your region; others are simply absent (unknown,
    erased and out-of-region ids look the same)."""

    names: list[HolderName]


@router.post(
    "/holder-names",
    response_model=HolderNames,
    summary="Names of volunteers in your region, for a stated purpose (audited)",
)
async def holder_names(
    body: HolderNamesRequest, session: Session, actor: OperatorActor, state: State
) -> HolderNames:
    """Up to 500 ids; each name given is audited with the purpose (never the name itself)."""
    async with session.begin():
        found = await names_in_scope(
            session,
            body.volunteer_ids,
            actor=actor,
            purpose=body.purpose,
            now=state.clock.now(),
        )
    return HolderNames(
        names=[HolderName(volunteer_id=vid, full_name=name) for vid, name in found.items()]
    )
