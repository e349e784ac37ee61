"""HTTP routes for volunteers (thin: validate, open the transaction, call the use-case)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from pydantic_core import to_json
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from starlette.background import BackgroundTask

from services.registry.api import export_files
from services.registry.api.deps import OperatorActor, State, WriterActor
from services.registry.api.schemas import (
    REGION_PATTERN,
    HistoryEntry,
    NikSearch,
    RegionCount,
    StatusChangeRequest,
    TransferRequest,
    VolunteerPage,
    VolunteerPublic,
    VolunteerSummary,
    public,
    summary,
)
from services.registry.domain.enums import AuditAction, TrainingLevel, VolunteerStatus
from services.registry.domain.errors import (
    DuplicateNik,
    Erased,
    FullNikRefused,
    IllegalTransition,
    InvalidVolunteer,
    OutOfScope,
    VolunteerNotFound,
)
from services.registry.domain.regions import region_name
from services.registry.nik_vault import NikVault
from services.registry.service import export as list_export
from services.registry.service import lifecycle, queries, volunteers
from services.registry.service.access import volunteer_in_scope
from services.registry.service.drafts import Correction, VolunteerDraft
from shared.deps import ReadSession, Session
from shared.fields import IsoDateTime
from shared.problems import raises

router = APIRouter(prefix="/volunteers", tags=["volunteers"])

RegionParam = Annotated[
    str | None,
    Query(
        pattern=REGION_PATTERN,
        description="Region prefix at any level: 32, 32.76, 32.76.01, 32.76.01.1006",
    ),
]
StatusParam = Annotated[VolunteerStatus | None, Query(description="Only this status")]
LevelParam = Annotated[
    TrainingLevel | None, Query(description="Reached at least this level: dasar, lanjutan, khusus")
]
JSON = "application/json"


def summary_values(v: Row[Any], vault: NikVault) -> dict[str, Any]:
    """`schemas.summary` as a dict of the same fields in the same order (a list serialises
    them once, without a model per row)."""
    return {
        "id": v.id,
        "full_name": v.full_name,
        "nik": volunteers.nik_of(v, vault, full=False),
        "village_code": v.village_code,
        "regency_code": v.regency_code,
        "province_code": v.province_code,
        "status": v.status,
        "training_level": v.training_level,
        "registered_at": v.registered_at,
    }


@router.post(
    "",
    status_code=201,
    response_model=VolunteerPublic,
    summary="Register a volunteer (candidate)",
)
@raises(InvalidVolunteer, OutOfScope, DuplicateNik)
async def register(
    body: VolunteerDraft, session: Session, actor: WriterActor, state: State
) -> Response:
    """Record a candidate PSM; 409 names the existing record if the NIK is registered."""
    try:
        async with session.begin():
            v = await volunteers.register_volunteer(
                session,
                body,
                actor=actor,
                vault=state.vault,
                now=state.clock.now(),
                today=state.clock.today(),
                minimum_age=state.registry_settings.minimum_age,
            )
    except IntegrityError:
        # Two registrations of one NIK raced past the duplicate check; the unique hash
        # let one through. The loser gets the same 409 as a sequential duplicate.
        async with session.begin():
            await volunteers.refuse_if_registered(session, body.nik, vault=state.vault)
        raise
    # Serialised once (see list_volunteers).
    return Response(public(v, state.vault).model_dump_json(), 201, media_type=JSON)


class VolunteerListPage(BaseModel):
    """One page of the volunteer list. The next page is named in the headers
    `X-Next-Cursor: CURSOR` and `Link: <…&after=CURSOR>; rel="next"` (both absent on the
    last page)."""

    items: list[VolunteerSummary]
    total: int | None = Field(
        description="How many volunteers match in all: counted only with ?total=true, else null"
    )
    limit: int
    offset: int


AfterParam = Annotated[
    str | None,
    Query(
        pattern=queries.CURSOR_PATTERN,
        description="Continue after this cursor: the previous page's X-Next-Cursor or Link "
        "rel=next (opaque)",
    ),
]
NEXT_CURSOR = "X-Next-Cursor"


@router.get(
    "",
    response_model=VolunteerListPage,
    responses={
        200: {
            "headers": {
                NEXT_CURSOR: {
                    "description": "The next page's `after` (absent on the last page)",
                    "schema": {"type": "string"},
                },
                "Link": {
                    "description": 'The next page\'s URL, rel="next" (absent on the last page)',
                    "schema": {"type": "string"},
                },
            }
        }
    },
    summary="List and search volunteers in your region",
)
@raises(queries.InvalidCursor)
async def list_volunteers(
    request: Request,
    actor: OperatorActor,
    state: State,
    region: RegionParam = None,
    status: StatusParam = None,
    training_level: LevelParam = None,
    name: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    registered_from: IsoDateTime | None = None,
    registered_to: IsoDateTime | None = None,
    sort: Literal["registered_at", "-registered_at", "full_name", "-full_name"] = "-registered_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: AfterParam = None,
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=1_000_000_000,
            description="Deprecated: page with `after` (an offset re-reads every skipped row)",
        ),
    ] = 0,
    total: Annotated[
        bool, Query(description="Also count every match (ask on the first page only)")
    ] = False,
) -> Response:
    """Filtered, sorted, paged by cursor (ties broken by id, so pages are stable)."""
    f = queries.VolunteerFilter(
        region=region,
        status=status,
        training_level=training_level,
        name=name,
        registered_from=registered_from,
        registered_to=registered_to,
    )
    cursor = queries.cursor_of(after)
    # Read without the write lock (a read transaction); the audit row is then written in
    # a short write transaction of its own, before any row leaves the service.
    async with state.runtime.read_sessionmaker() as session, session.begin():
        page = await queries.list_volunteers(
            session, actor, f, sort=sort, limit=limit, offset=offset, after=cursor, count=total
        )
    shown = len(page.rows)
    await volunteers.record_access(
        state.runtime.sessionmaker,
        actor,
        AuditAction.VOLUNTEERS_LIST,
        now=state.clock.now(),
        detail=f"{shown} of {page.total}" if page.total is not None else f"{shown}",
    )
    body = {
        "items": [summary_values(v, state.vault) for v in page.rows],
        "total": page.total,
        "limit": limit,
        "offset": offset,
    }
    # Serialised here, once, by pydantic's own encoder (the response model's JSON): a page
    # of models validated one by one, then validated again by FastAPI, cost more than the
    # query.
    response = Response(to_json(body), media_type=JSON)
    if page.next_after is not None:
        next_cursor = queries.cursor_text(page.next_after)
        url = request.url.remove_query_params("offset").include_query_params(after=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
        response.headers[NEXT_CURSOR] = next_cursor
    return response


@router.post(
    "/search", response_model=VolunteerPage, summary="Find a volunteer by NIK (exact, audited)"
)
async def search(body: NikSearch, session: Session, actor: OperatorActor, state: State) -> Response:
    """Exact match through the NIK's keyed hash, in your region only (another region's
    person is answered as no match). The NIK travels in the body, never in the URL."""
    async with session.begin():
        found = await volunteers.search_by_nik(
            session, body.nik, actor=actor, vault=state.vault, now=state.clock.now()
        )
        items = [summary(found, state.vault)] if found is not None else []
    page = VolunteerPage(items=items, total=len(items), limit=1, offset=0)
    return Response(page.model_dump_json(), media_type=JSON)


RevealParam = Annotated[
    bool, Query(description="Full NIKs (the three operator roles only; audited)")
]
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _start_export(
    session: Session, actor: OperatorActor, state: State, f: queries.VolunteerFilter, **kw: Any
) -> None:
    async with session.begin():
        list_export.record_export(session, actor, f, now=state.clock.now(), **kw)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The volunteers, as CSV"}},
    summary="Export the volunteers of a region as CSV (streamed, audited)",
)
@raises(FullNikRefused)
async def export_csv(
    session: Session,
    actor: OperatorActor,
    state: State,
    region: RegionParam = None,
    status: StatusParam = None,
    training_level: LevelParam = None,
    reveal_nik: RevealParam = False,
) -> StreamingResponse:
    """Every volunteer in your region (narrowed by the filters), NIK masked unless
    `reveal_nik=true`; streamed in batches, never built in memory."""
    f = queries.VolunteerFilter(region=region, status=status, training_level=training_level)
    await _start_export(session, actor, state, f, file_format="csv", reveal_nik=reveal_nik)
    batches = list_export.export_batches(
        state.runtime.read_sessionmaker, actor, f, vault=state.vault, reveal_nik=reveal_nik
    )
    return StreamingResponse(
        export_files.csv_chunks(batches),
        media_type=CSV_MEDIA,
        headers={"Content-Disposition": 'attachment; filename="volunteers.csv"'},
    )


@router.get(
    "/export.xlsx",
    response_class=FileResponse,
    responses={200: {"content": {XLSX_MEDIA: {}}, "description": "The volunteers, as XLSX"}},
    summary="Export the volunteers of a region as XLSX (audited)",
)
@raises(FullNikRefused)
async def export_xlsx(
    session: Session,
    actor: OperatorActor,
    state: State,
    region: RegionParam = None,
    status: StatusParam = None,
    training_level: LevelParam = None,
    reveal_nik: RevealParam = False,
) -> FileResponse:
    """The same rows as the CSV, as a workbook written row by row to a temporary file
    (openpyxl write-only), then sent and deleted."""
    f = queries.VolunteerFilter(region=region, status=status, training_level=training_level)
    await _start_export(session, actor, state, f, file_format="xlsx", reveal_nik=reveal_nik)
    batches = list_export.export_batches(
        state.runtime.read_sessionmaker, actor, f, vault=state.vault, reveal_nik=reveal_nik
    )
    path = await export_files.write_xlsx(batches)
    return FileResponse(
        path,
        media_type=XLSX_MEDIA,
        filename="volunteers.xlsx",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get("/counts", response_model=list[RegionCount], summary="Volunteer counts per region")
async def counts(
    session: ReadSession,
    actor: OperatorActor,
    by: Literal["province", "regency", "district", "village"] = "regency",
    region: RegionParam = None,
    status: StatusParam = None,
    training_level: LevelParam = None,
) -> list[RegionCount]:
    """Counts grouped by the chosen level, inside your region (no personal data)."""
    f = queries.VolunteerFilter(region=region, status=status, training_level=training_level)
    rows = await queries.count_by_region(session, actor, f, by=by)
    return [RegionCount(code=c, name=region_name(c), count=n) for c, n in rows]


@router.get("/{volunteer_id:uuid}", response_model=VolunteerPublic, summary="One volunteer")
@raises(VolunteerNotFound, FullNikRefused, Erased)
async def get_one(
    volunteer_id: uuid.UUID,
    session: Session,
    actor: OperatorActor,
    state: State,
    reveal_nik: Annotated[bool, Query(description="Full NIK (operators only; audited)")] = False,
) -> VolunteerPublic:
    """The record with the NIK masked; `reveal_nik=true` shows it in full and is audited."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await volunteers.read_volunteer(
            session, v, actor=actor, reveal_nik=reveal_nik, now=state.clock.now()
        )
    return public(v, state.vault, full_nik=reveal_nik)


@router.patch(
    "/{volunteer_id:uuid}",
    response_model=VolunteerPublic,
    summary="Correct profile data",
)
@raises(VolunteerNotFound, InvalidVolunteer, DuplicateNik, Erased)
async def correct(
    volunteer_id: uuid.UUID,
    body: Correction,
    session: Session,
    actor: WriterActor,
    state: State,
) -> VolunteerPublic:
    """Correct fields (data-subject right), including NIK, birth date and sex (re-validated
    together); the domicile changes only through a transfer. `null` clears an optional field."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await volunteers.update_profile(
            session,
            v,
            body,
            actor=actor,
            now=state.clock.now(),
            vault=state.vault,
            minimum_age=state.registry_settings.minimum_age,
        )
    return public(v, state.vault)


@router.post("/{volunteer_id:uuid}/erasure", status_code=204, summary="Erase (anonymise) a person")
@raises(VolunteerNotFound, Erased)
async def erase(
    volunteer_id: uuid.UUID, session: Session, actor: WriterActor, state: State
) -> None:
    """Right to erasure: the row is anonymised and `volunteer-erased` is published."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await volunteers.erase_volunteer(
            session, v, actor=actor, now=state.clock.now(), today=state.clock.today()
        )


@router.post(
    "/{volunteer_id:uuid}/status",
    response_model=VolunteerPublic,
    summary="Change status",
)
@raises(VolunteerNotFound, IllegalTransition, Erased)
async def change_status(
    volunteer_id: uuid.UUID,
    body: StatusChangeRequest,
    session: Session,
    actor: WriterActor,
    state: State,
) -> VolunteerPublic:
    """A legal lifecycle transition, recorded in the history and published."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await lifecycle.change_status(
            session,
            v,
            body.status,
            actor=actor,
            settings=state.registry_settings,
            now=state.clock.now(),
            reason=body.reason,
            reason_code=body.reason_code,
        )
    return public(v, state.vault)


@router.post(
    "/{volunteer_id:uuid}/verification",
    response_model=VolunteerPublic,
    summary="Verify recommendations and SK",
)
@raises(VolunteerNotFound, IllegalTransition, Erased)
async def verify(
    volunteer_id: uuid.UUID, session: Session, actor: WriterActor, state: State
) -> VolunteerPublic:
    """An operator confirms the recommendations and the decree (activates a ready candidate)."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await lifecycle.verify(
            session, v, actor=actor, settings=state.registry_settings, now=state.clock.now()
        )
    return public(v, state.vault)


@router.post(
    "/{volunteer_id:uuid}/transfers",
    response_model=VolunteerPublic,
    summary="Move to another village",
)
@raises(VolunteerNotFound, InvalidVolunteer, OutOfScope, IllegalTransition, Erased)
async def transfer(
    volunteer_id: uuid.UUID,
    body: TransferRequest,
    session: Session,
    actor: WriterActor,
    state: State,
) -> VolunteerPublic:
    """Explicit transfer of domicile (history kept); the destination must be in your region."""
    async with session.begin():
        v = await volunteer_in_scope(session, volunteer_id, actor)
        await lifecycle.transfer(
            session, v, body.village_code, actor=actor, now=state.clock.now(), reason=body.reason
        )
    return public(v, state.vault)


@router.get(
    "/{volunteer_id:uuid}/history", response_model=list[HistoryEntry], summary="Status history"
)
@raises(VolunteerNotFound)
async def history(
    volunteer_id: uuid.UUID, session: ReadSession, actor: OperatorActor
) -> list[HistoryEntry]:
    """Every status change with actor, reason and time."""
    await volunteer_in_scope(session, volunteer_id, actor)
    rows = await queries.status_history(session, volunteer_id)
    return [HistoryEntry.model_validate(h, from_attributes=True) for h in rows]
