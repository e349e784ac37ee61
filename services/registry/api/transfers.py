"""HTTP routes of transfers between regencies (thin: validate, transaction, use-case)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.registry.api.deps import State, WriterActor
from services.registry.api.schemas import VILLAGE_PATTERN
from services.registry.db.tables import PendingTransfer
from services.registry.domain.enums import TransferSide, TransferState
from services.registry.domain.errors import (
    Erased,
    IllegalTransition,
    InvalidVolunteer,
    OutOfScope,
    TransferNotFound,
    VolunteerNotFound,
)
from services.registry.service import transfers
from shared.deps import Session
from shared.i18n import t
from shared.problems import raises

router = APIRouter(prefix="/transfers", tags=["transfers"])


class TransferOpening(BaseModel):
    """Release (origin operator: `volunteer_id`) or request (destination operator: the `nik`
    the person shows) a move to a village of another regency."""

    model_config = ConfigDict(extra="forbid")

    village_code: str = Field(pattern=VILLAGE_PATTERN, examples=["32.75.01.1001"])
    volunteer_id: uuid.UUID | None = None
    nik: str | None = Field(default=None, pattern=r"^\s*[0-9]{16}\s*$")

    @model_validator(mode="after")
    def _one_person(self) -> TransferOpening:
        if (self.volunteer_id is None) == (self.nik is None):
            raise ValueError(
                t(
                    "isi tepat salah satu: volunteer_id (daerah asal) atau nik (daerah tujuan)",
                    "give exactly one of volunteer_id (origin) and nik (destination)",
                )
            )
        return self


class TransferOut(BaseModel):
    """A transfer between regencies and where it stands."""

    id: uuid.UUID
    volunteer_id: uuid.UUID
    from_village_code: str
    to_village_code: str
    state: TransferState
    opened_by_side: TransferSide
    opened_at: datetime
    decided_at: datetime | None


def _out(p: PendingTransfer) -> TransferOut:
    return TransferOut.model_validate(p, from_attributes=True)


@router.post("", status_code=201, response_model=TransferOut, summary="Release or request")
@raises(InvalidVolunteer, VolunteerNotFound, OutOfScope, IllegalTransition, Erased)
async def open_transfer(
    body: TransferOpening, session: Session, actor: WriterActor, state: State
) -> TransferOut:
    """The origin operator releases a volunteer of its region to a village of another
    regency (`released`), or the destination operator requests a person by NIK into a
    village of its region (`requested`); the other end then confirms or declines."""
    async with session.begin():
        p = await transfers.open_transfer(
            session,
            actor,
            village_code=body.village_code,
            volunteer_id=body.volunteer_id,
            nik=body.nik,
            vault=state.vault,
            now=state.clock.now(),
        )
        return _out(p)


@router.get("", response_model=list[TransferOut], summary="Transfers at either end of your region")
async def list_transfers(
    session: Session,
    actor: WriterActor,
    state: Annotated[TransferState | None, Query(description="Only this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[TransferOut]:
    """Newest first."""
    async with session.begin():
        found = await transfers.list_transfers(
            session, actor, state=state, limit=limit, offset=offset
        )
        return [_out(p) for p in found]


@router.post(
    "/{transfer_id:uuid}/{action}", response_model=TransferOut, summary="Confirm, decline, cancel"
)
@raises(TransferNotFound, OutOfScope, IllegalTransition, Erased)
async def decide(
    transfer_id: uuid.UUID,
    action: Literal["confirm", "decline", "cancel"],
    session: Session,
    actor: WriterActor,
    state: State,
) -> TransferOut:
    """The other end confirms (the volunteer moves: history, `volunteer-transferred`) or
    declines; the opening end may cancel while the transfer is open."""
    async with session.begin():
        p = await transfers.decide(session, actor, transfer_id, action, now=state.clock.now())
        return _out(p)
