"""HTTP routes for volunteers (thin: validate, open the transaction, call the use-case)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from services.registry.api.deps import (
    FULL_NIK_ROLES,
    OperatorActor,
    RegistrySettings,
    Vault,
    WriterActor,
    domain_errors,
    load_volunteer,
)
from services.registry.api.schemas import (
    HistoryEntry,
    RegionCount,
    StatusChangeRequest,
    TransferRequest,
    VolunteerPage,
    VolunteerPublic,
    public,
    summary,
)
from services.registry.db.tables import StatusChange
from services.registry.domain.lifecycle import LEVELS, STATUSES
from services.registry.domain.regions import region_name
from services.registry.service import lifecycle, queries, volunteers
from services.registry.service.access import audit
from services.registry.service.drafts import Correction, VolunteerDraft
from shared.deps import ReadSession, Session
from shared.problems import Problem
from shared.regions import is_region_code

router = APIRouter(prefix="/volunteers", tags=["volunteers"])

RegionParam = Annotated[
    str | None, Query(description="Region prefix at any level: 32, 32.76, 32.76.01, 32.76.01.1006")
]


def _region(code: str | None) -> str | None:
    if code is not None and not is_region_code(code):
        raise Problem(
            422,
            "Invalid request",
            "region must be a Kemendagri code like 32 or 32.76",
            errors=[{"field": "region", "message": "not a region code"}],
        )
    return code


def _filter(
    region: str | None,
    status: str | None,
    training_level: str | None,
    name: str | None,
    registered_from: datetime | None,
    registered_to: datetime | None,
) -> queries.VolunteerFilter:
    if status is not None and status not in STATUSES:
        raise Problem(422, "Invalid request", f"status must be one of {', '.join(STATUSES)}")
    if training_level is not None and training_level not in LEVELS:
        raise Problem(422, "Invalid request", f"training_level must be one of {', '.join(LEVELS)}")
    return queries.VolunteerFilter(
        region=_region(region),
        status=status,
        training_level=training_level,
        name=name,
        registered_from=registered_from,
        registered_to=registered_to,
    )


@router.post(
    "", status_code=201, response_model=VolunteerPublic, summary="Register a volunteer (candidate)"
)
async def register(
    body: VolunteerDraft,
    session: Session,
    actor: WriterActor,
    vault: Vault,
    settings: RegistrySettings,
) -> Response:
    """Record a candidate PSM; 409 names the existing record if the NIK is registered."""
    with domain_errors():
        try:
            async with session.begin():
                v = await volunteers.register_volunteer(
                    session, body, actor=actor, vault=vault, minimum_age=settings.minimum_age
                )
        except IntegrityError:
            # Two registrations of one NIK raced past the duplicate check; the unique hash
            # let one through. The loser gets the same 409 as a sequential duplicate.
            async with session.begin():
                existing = await volunteers.find_by_nik_hash(session, vault.hash(body.nik.strip()))
            if existing is None:
                raise
            raise volunteers.DuplicateNik(existing) from None
    # Serialised once (see list_volunteers).
    return Response(public(v, vault).model_dump_json(), 201, media_type="application/json")


@router.get("", response_model=VolunteerPage, summary="List and search volunteers in your region")
async def list_volunteers(
    session: Session,
    actor: OperatorActor,
    vault: Vault,
    region: RegionParam = None,
    status: str | None = None,
    training_level: Annotated[
        str | None, Query(description="Reached at least this level: dasar, lanjutan, khusus")
    ] = None,
    name: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    registered_from: datetime | None = None,
    registered_to: datetime | None = None,
    sort: Literal["registered_at", "-registered_at", "full_name", "-full_name"] = "-registered_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Filtered, sorted, paginated (ties broken by id, so pages are stable)."""
    f = _filter(region, status, training_level, name, registered_from, registered_to)
    async with session.begin():
        total, rows = await queries.list_volunteers(
            session, actor, f, sort=sort, limit=limit, offset=offset
        )
        audit(session, actor, "volunteers.list", detail=f"{len(rows)} of {total}")
    page = VolunteerPage(
        items=[summary(v, vault) for v in rows], total=total, limit=limit, offset=offset
    )
    # Serialised here, once: returning the model would make FastAPI validate it again
    # against the response model (the page was just built from that model).
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/counts", response_model=list[RegionCount], summary="Volunteer counts per region")
async def counts(
    session: ReadSession,
    actor: OperatorActor,
    by: Literal["province", "regency", "district", "village"] = "regency",
    region: RegionParam = None,
    status: str | None = None,
    training_level: str | None = None,
) -> list[RegionCount]:
    """Counts grouped by the chosen level, inside your region (no personal data)."""
    f = _filter(region, status, training_level, None, None, None)
    rows = await queries.count_by_region(session, actor, f, by=by)
    return [RegionCount(code=c, name=region_name(c), count=n) for c, n in rows]


@router.get("/{volunteer_id}", response_model=VolunteerPublic, summary="One volunteer")
async def get_one(
    volunteer_id: uuid.UUID,
    session: Session,
    actor: OperatorActor,
    vault: Vault,
    reveal_nik: Annotated[bool, Query(description="Full NIK (operators only; audited)")] = False,
) -> VolunteerPublic:
    """The record with the NIK masked; `reveal_nik=true` shows it in full and is audited."""
    if reveal_nik and actor.role not in FULL_NIK_ROLES:
        raise Problem(403, "Forbidden", f"role {actor.role} may not see full NIKs")
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await volunteers.read_volunteer(session, v, actor=actor, reveal_nik=reveal_nik)
    return public(v, vault, full_nik=reveal_nik)


@router.patch("/{volunteer_id}", response_model=VolunteerPublic, summary="Correct profile data")
async def correct(
    volunteer_id: uuid.UUID,
    body: Correction,
    session: Session,
    actor: WriterActor,
    vault: Vault,
    settings: RegistrySettings,
) -> VolunteerPublic:
    """Correct fields (data-subject right), including NIK, birth date and sex (re-validated
    together); the domicile changes only through a transfer."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await volunteers.update_profile(
                session, v, body, actor=actor, vault=vault, minimum_age=settings.minimum_age
            )
    return public(v, vault)


@router.get("/{volunteer_id}/export", summary="Everything held about one person (audited)")
async def export(
    volunteer_id: uuid.UUID, session: Session, actor: WriterActor, vault: Vault
) -> dict[str, Any]:
    """Data-subject access: profile with full NIK, status history and transfers."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            return await volunteers.export_volunteer(session, v, actor=actor, vault=vault)


@router.post("/{volunteer_id}/erasure", status_code=204, summary="Erase (anonymise) a person")
async def erase(volunteer_id: uuid.UUID, session: Session, actor: WriterActor) -> None:
    """Right to erasure: the row is anonymised and `volunteer-erased` is published."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await volunteers.erase_volunteer(session, v, actor=actor)


@router.post("/{volunteer_id}/status", response_model=VolunteerPublic, summary="Change status")
async def change_status(
    volunteer_id: uuid.UUID,
    body: StatusChangeRequest,
    session: Session,
    actor: WriterActor,
    vault: Vault,
    settings: RegistrySettings,
) -> VolunteerPublic:
    """A legal lifecycle transition, recorded in the history and published."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await lifecycle.change_status(
                session,
                v,
                body.status,
                actor=actor,
                settings=settings,
                reason=body.reason,
                reason_code=body.reason_code,
            )
    return public(v, vault)


@router.post(
    "/{volunteer_id}/verification",
    response_model=VolunteerPublic,
    summary="Verify recommendations and SK",
)
async def verify(
    volunteer_id: uuid.UUID,
    session: Session,
    actor: WriterActor,
    vault: Vault,
    settings: RegistrySettings,
) -> VolunteerPublic:
    """An operator confirms the recommendations and the decree (activates a ready candidate)."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await lifecycle.verify(session, v, actor=actor, settings=settings)
    return public(v, vault)


@router.post(
    "/{volunteer_id}/transfers", response_model=VolunteerPublic, summary="Move to another village"
)
async def transfer(
    volunteer_id: uuid.UUID,
    body: TransferRequest,
    session: Session,
    actor: WriterActor,
    vault: Vault,
) -> VolunteerPublic:
    """Explicit transfer of domicile (history kept); the destination must be in your region."""
    with domain_errors():
        async with session.begin():
            v = await load_volunteer(session, volunteer_id, actor)
            await lifecycle.transfer(session, v, body.village_code, actor=actor, reason=body.reason)
    return public(v, vault)


@router.get("/{volunteer_id}/history", response_model=list[HistoryEntry], summary="Status history")
async def history(
    volunteer_id: uuid.UUID, session: ReadSession, actor: OperatorActor
) -> list[HistoryEntry]:
    """Every status change with actor, reason and time."""
    await load_volunteer(session, volunteer_id, actor)
    rows = await session.execute(
        select(StatusChange)
        .where(col(StatusChange.volunteer_id) == volunteer_id)
        .order_by(col(StatusChange.changed_at))
    )
    return [HistoryEntry.model_validate(h, from_attributes=True) for h in rows.scalars()]
