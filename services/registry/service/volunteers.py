"""Use-cases on one volunteer: register, read, correct, export, erase."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from pydantic_core import PydanticUndefined
from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class
from sqlmodel import col

from services.registry.db.tables import AuditEntry, StatusChange, Transfer, Volunteer, outbox
from services.registry.domain.enums import AuditAction, OperatorRole
from services.registry.domain.errors import (
    VILLAGE_OUTSIDE_REGION,
    DuplicateNik,
    Erased,
    FullNikRefused,
    OutOfScope,
)
from services.registry.nik_vault import NikVault
from services.registry.service.access import Actor, audit, scoped_volunteer
from services.registry.service.drafts import (
    Correction,
    ProfileFields,
    VolunteerDraft,
    identity,
    profile_values,
    volunteer_values,
)
from shared.events.registry import VolunteerErased, VolunteerProfileUpdated, VolunteerRegistered
from shared.ids import uuid7
from shared.outbox import stage_event
from shared.pii import mask_nik

SOURCE = "registry"
ERASED_NAME = "[dihapus]"
VOLUNTEERS: Table = Volunteer.__table__  # type: ignore[attr-defined]
AUDIT: Table = AuditEntry.__table__  # type: ignore[attr-defined]
#: The volunteers' columns whose model default is a constant (every other column of a new
#: record is given by `drafts.volunteer_values` or is the id).
COLUMN_DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in Volunteer.model_fields.items()
    if field.default is not PydanticUndefined and field.default_factory is None
}
FULL_NIK_ROLES = frozenset(
    {OperatorRole.NATIONAL_ADMIN, OperatorRole.PROVINCE_OPERATOR, OperatorRole.REGENCY_OPERATOR}
)


async def search_by_nik(
    session: AsyncSession, nik: str, *, actor: Actor, vault: NikVault, now: datetime
) -> Volunteer | None:
    """The volunteer registered under exactly this NIK (through the keyed hash) if they lie
    in the actor's region; another region's match is answered as no match. Audited
    (`volunteer.search`, with the id found; never the NIK)."""
    found_id = await find_by_nik_hash(session, vault.lookup_hashes(nik.strip()))
    found = await scoped_volunteer(session, found_id, actor) if found_id is not None else None
    if found is not None and found.erased_at is not None:
        found = None
    audit(
        session,
        actor,
        AuditAction.VOLUNTEER_SEARCH,
        now=now,
        volunteer_id=found.id if found else None,
        detail="nik: 1 match" if found else "nik: no match",
    )
    return found


async def find_by_nik_hash(session: AsyncSession, nik_hashes: Sequence[str]) -> uuid.UUID | None:
    """The id of the volunteer registered under any of these hashes of one NIK, if any
    (`NikVault.lookup_hashes`: during a hash-key rotation a row may hold an older key's)."""
    query = select(col(Volunteer.id)).where(col(Volunteer.nik_hash).in_(nik_hashes)).limit(1)
    return (await session.execute(query)).scalars().first()


async def refuse_if_registered(session: AsyncSession, nik: str, *, vault: NikVault) -> None:
    """Raise DuplicateNik if a volunteer with this NIK is registered (a lost race's answer)."""
    existing = await find_by_nik_hash(session, vault.lookup_hashes(nik.strip()))
    if existing is not None:
        raise DuplicateNik(existing)


async def register_volunteer(
    session: AsyncSession,
    draft: VolunteerDraft,
    *,
    actor: Actor,
    vault: NikVault,
    now: datetime,
    today: date,
    minimum_age: int = 18,
) -> Volunteer:
    """Record a new candidate and stage `volunteer-registered` in the same transaction."""
    values = volunteer_values(draft, vault=vault, now=now, today=today, minimum_age=minimum_age)
    if not actor.sees(values["village_code"]):
        raise OutOfScope(VILLAGE_OUTSIDE_REGION)
    existing = await find_by_nik_hash(session, vault.lookup_hashes(draft.nik.strip()))
    if existing is not None:
        raise DuplicateNik(existing)
    # One Core INSERT of every column, and the entity built without validation from the
    # same values: `Volunteer(**values)` and the ORM flush cost more than the rest of a
    # registration (≈ 0.66 ms for the constructor alone, measured in bench/results/).
    row = {**COLUMN_DEFAULTS, **values, "id": uuid7()}
    await session.execute(insert(VOLUNTEERS), row)
    volunteer = Volunteer.model_construct(**row)
    # Persistent in the session, as a flushed `session.add` would leave it: later changes
    # of the caller's transaction (a status change) are flushed as UPDATEs.
    manager_of_class(Volunteer)._new_state_if_none(volunteer)
    make_transient_to_detached(volunteer)
    session.add(volunteer)
    await stage_event(session, outbox, registered_event(volunteer), source=SOURCE, now=now)
    await session.execute(
        insert(AUDIT),
        audit_row(actor, AuditAction.VOLUNTEER_CREATE, now=now, volunteer_id=volunteer.id),
    )
    return volunteer


def audit_row(
    actor: Actor,
    action: AuditAction,
    *,
    now: datetime,
    volunteer_id: uuid.UUID | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """`access.audit`'s row as the audit table's column values (for a Core INSERT)."""
    return {
        "id": uuid7(),
        "at": now,
        "actor": actor.subject,
        "role": actor.role,
        "action": action,
        "volunteer_id": volunteer_id,
        "detail": detail[:500] if detail else None,
        "client_address": actor.address,
    }


class AccessLog:
    """Audit rows of reads that ran without the write lock, written in group commits: the
    rows of concurrent requests share one write transaction (one multi-row INSERT), and
    each request answers only once its row is committed.

    Why: on SQLite every write transaction queues behind the one write lock, and costs
    more than the page it audits; under 8 concurrent lists one transaction per request
    was the largest part of a list's time. Nothing is buffered beyond the transaction in
    flight: a row is in the next one, which starts as soon as the current one commits.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def record(self, row: dict[str, Any]) -> None:
        """Write one audit row (in the next group commit); returns once it is committed,
        raises what the transaction raised."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an engine may outlive one event loop (tests, CLI runs)
            self._loop, self._pending, self._writer = loop, [], None
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(insert(AUDIT), [row for row, _ in batch])
            except BaseException as exc:
                stopped = not isinstance(exc, Exception)  # cancelled: the service stops
                if stopped:
                    batch, self._pending = batch + self._pending, []
                for _, done in batch:
                    if not done.done():
                        done.set_exception(RuntimeError("audit writer stopped") if stopped else exc)
                if stopped:
                    raise
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


_ACCESS_LOGS: WeakKeyDictionary[async_sessionmaker[AsyncSession], AccessLog] = WeakKeyDictionary()


async def record_access(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    action: AuditAction,
    *,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Audit a read that ran in a read transaction (no write lock), committed before the
    caller answers (`AccessLog`: concurrent reads share a write transaction).

    Why not `access.audit` in the read's transaction: on SQLite that makes every list a
    write transaction, so concurrent lists queue one by one behind the write lock for the
    length of their queries, not just of one INSERT."""
    log = _ACCESS_LOGS.get(sessionmaker)
    if log is None:
        log = _ACCESS_LOGS[sessionmaker] = AccessLog(sessionmaker)
    await log.record(audit_row(actor, action, now=now, detail=detail))


def registered_event(v: Volunteer) -> VolunteerRegistered:
    """The `volunteer-registered` event of a new record (no personal data)."""
    return VolunteerRegistered(
        volunteer_id=v.id,
        village_code=v.village_code,
        district_code=v.district_code,
        regency_code=v.regency_code,
        province_code=v.province_code,
        region_dataset=v.region_dataset,
        status=v.status,
        registered_at=v.registered_at,
        birth_year=v.birth_date.year if v.birth_date else None,
        sex=v.sex,
    )


def nik_of(v: Volunteer | Row[Any], vault: NikVault, *, full: bool) -> str | None:
    """The record's NIK, masked unless `full` (None once erased)."""
    if v.nik_encrypted is None:
        return None
    nik = vault.decrypt(v.nik_encrypted)
    return nik if full else mask_nik(nik)


async def read_volunteer(
    session: AsyncSession, v: Volunteer, *, actor: Actor, reveal_nik: bool, now: datetime
) -> None:
    """Audit a read of one record (and, separately, of its full NIK)."""
    if reveal_nik and actor.role not in FULL_NIK_ROLES:
        raise FullNikRefused(actor.role)
    if v.erased_at is not None:
        raise Erased()
    audit(session, actor, AuditAction.VOLUNTEER_READ, now=now, volunteer_id=v.id)
    if reveal_nik:
        audit(session, actor, AuditAction.NIK_READ, now=now, volunteer_id=v.id)


async def _identity_values(
    session: AsyncSession, v: Volunteer, fields: Correction, *, vault: NikVault, minimum_age: int
) -> dict[str, Any]:
    """Re-validate NIK, birth date and sex together when any of them is corrected."""
    given = fields.model_dump(include={"nik", "birth_date", "sex"}, exclude_unset=True)
    if not given:
        return {}
    current_nik = nik_of(v, vault, full=True)
    nik = given.get("nik") or current_nik or ""
    facts = identity(
        nik,
        birth_date=given.get("birth_date", v.birth_date),
        sex=given.get("sex", v.sex),
        today=v.registered_at.date(),
        minimum_age=minimum_age,
    )
    values: dict[str, Any] = {"birth_date": facts.birth_date, "sex": facts.sex}
    if facts.nik != current_nik:
        existing = await find_by_nik_hash(session, vault.lookup_hashes(facts.nik))
        if existing is not None and existing != v.id:
            raise DuplicateNik(existing)
        values |= {"nik_hash": vault.hash(facts.nik), "nik_encrypted": vault.encrypt(facts.nik)}
    return values


async def update_profile(
    session: AsyncSession,
    v: Volunteer,
    fields: ProfileFields,
    *,
    actor: Actor,
    now: datetime,
    vault: NikVault | None = None,
    minimum_age: int = 18,
) -> list[str]:
    """Correct fields; stage `volunteer-profile-updated` naming (only) the changed fields."""
    if v.erased_at is not None:
        raise Erased()
    values = profile_values(fields, only_set=True, now=now)
    if isinstance(fields, Correction) and vault is not None:
        values |= await _identity_values(session, v, fields, vault=vault, minimum_age=minimum_age)
    hidden = {"name_search", "nik_encrypted"}
    changed = sorted(
        "nik" if k == "nik_hash" else k
        for k, val in values.items()
        if getattr(v, k) != val and k not in hidden
    )
    if not changed:
        return []
    for key, val in values.items():
        setattr(v, key, val)
    v.updated_at = now
    await session.flush()
    event = VolunteerProfileUpdated(volunteer_id=v.id, changed_fields=changed, updated_at=now)
    await stage_event(session, outbox, event, source=SOURCE, now=now)
    audit(
        session,
        actor,
        AuditAction.VOLUNTEER_UPDATE,
        now=now,
        volunteer_id=v.id,
        detail=",".join(changed),
    )
    return changed


async def export_volunteer(
    session: AsyncSession, v: Volunteer, *, actor: Actor, vault: NikVault, now: datetime
) -> dict[str, Any]:
    """Everything registry holds about one person (data-subject access, UU 27/2022)."""
    if v.erased_at is not None:
        raise Erased()
    history = await session.execute(
        select(StatusChange)
        .where(col(StatusChange.volunteer_id) == v.id)
        .order_by(col(StatusChange.changed_at))
    )
    transfers = await session.execute(
        select(Transfer)
        .where(col(Transfer.volunteer_id) == v.id)
        .order_by(col(Transfer.transferred_at))
    )
    audit(session, actor, AuditAction.VOLUNTEER_EXPORT, now=now, volunteer_id=v.id)
    record = v.model_dump(exclude={"nik_hash", "nik_encrypted", "name_search"})
    record["nik"] = nik_of(v, vault, full=True)
    return {
        "volunteer": record,
        "status_history": [h.model_dump() for h in history.scalars()],
        "transfers": [t.model_dump() for t in transfers.scalars()],
    }


async def erase_volunteer(
    session: AsyncSession, v: Volunteer, *, actor: Actor, now: datetime, today: date
) -> None:
    """Anonymise the record (right to erasure) and tell consumers to forget their copy."""
    if v.erased_at is not None:
        raise Erased()
    personal = {
        field: None
        for field in (
            "nik_hash",
            "nik_encrypted",
            "birth_place",
            "birth_date",
            "address",
            "phone",
            "email",
            "education",
            "occupation",
            "ipsm_number",
            "village_head_recommender",
            "ipsm_recommender",
            "decree_number",
        )
    }
    await session.execute(
        update(Volunteer)
        .where(col(Volunteer.id) == v.id)
        .values(
            **personal,
            full_name=ERASED_NAME,
            name_search="",
            consent_data_processing=False,
            consent_contact=False,
            erased_at=now,
            updated_at=now,
        )
    )
    # Free-text reasons may name the person; the history keeps statuses, actors and times.
    await session.execute(
        update(StatusChange).where(col(StatusChange.volunteer_id) == v.id).values(reason=None)
    )
    await session.execute(
        update(Transfer).where(col(Transfer.volunteer_id) == v.id).values(reason=None)
    )
    await stage_event(
        session,
        outbox,
        VolunteerErased(volunteer_id=v.id, erased_at=now, effective_from=today),
        source=SOURCE,
        now=now,
    )
    audit(session, actor, AuditAction.VOLUNTEER_ERASE, now=now, volunteer_id=v.id)
    await session.refresh(v)


__all__ = [
    "erase_volunteer",
    "export_volunteer",
    "read_volunteer",
    "record_access",
    "register_volunteer",
    "update_profile",
]
