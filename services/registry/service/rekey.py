"""Re-key stored NIKs: every ciphertext under the active encryption key, every lookup hash
under the active hash key (`python -m tools.cli registry rekey`).

- **Chunked**: one short transaction per chunk of rows, walked in id order (keyset), so
  the service keeps writing in between (SQLite's write gate, PostgreSQL's row locks).
- **Idempotent and resumable**: only rows not yet under both active keys are selected; a
  second run, or a run after an interruption, continues with what is left.
- **Safe while the service runs**: each row is rewritten only if it still holds what was
  read (a compare-and-set on both columns); a row the service corrected or erased
  meanwhile is left to it (it writes with the active keys) and counted as `changed`.
  Lookups try every configured hash key (`NikVault.lookup_hashes`) until this finished.
- **No personal data out**: the tally holds counts and key ids; the events and the audit
  trail are untouched (a re-key changes no fact about anyone).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.registry.db.tables import Volunteer
from services.registry.nik_vault import NikVault, UnknownNikKey, key_ids

Progress = Callable[[int], None]


@dataclass
class RekeyTally:
    """What a run found and did (counts and key ids only)."""

    examined: int = 0  # rows not yet under both active keys
    rewritten: int = 0
    changed: int = 0  # rewritten by the service meanwhile (left to it)
    unreadable: int = 0  # under a key that is not configured: add it to the previous keys
    conflicts: int = 0  # the active hash is already another row's: the same NIK twice
    #: rows found per (encryption key id, hash key id) they were under ("v1" = no id)
    found: Counter[tuple[str, str]] = field(default_factory=Counter)
    unreadable_ids: list[uuid.UUID] = field(default_factory=list)
    conflict_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every examined row is now under the active keys (or was rewritten by the
        service with them)."""
        return not (self.unreadable or self.conflicts)


def _stale(vault: NikVault) -> ColumnElement[bool]:
    """Rows whose ciphertext or hash is not under the active keys."""
    current = and_(
        col(Volunteer.nik_encrypted).startswith(f"v2:{vault.encryption_kid}:", autoescape=True),
        col(Volunteer.nik_hash).startswith(f"{vault.hash_kid}:", autoescape=True),
    )
    return and_(col(Volunteer.nik_encrypted).is_not(None), not_(current))


async def rekey(
    sessionmaker: async_sessionmaker[AsyncSession],
    vault: NikVault,
    *,
    chunk_size: int = 500,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RekeyTally:
    """Move every stored NIK to the active keys, chunk by chunk (see the module)."""
    tally = RekeyTally()
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            query = (
                select(col(Volunteer.id), col(Volunteer.nik_encrypted), col(Volunteer.nik_hash))
                .where(_stale(vault))
                .order_by(col(Volunteer.id))
                .limit(chunk_size)
            )
            if after is not None:
                query = query.where(col(Volunteer.id) > after)
            rows = [
                (volunteer_id, str(encrypted), nik_hash)
                for volunteer_id, encrypted, nik_hash in (await session.execute(query)).all()
            ]
            if not rows:
                return tally
            after = rows[-1][0]
            tally.examined += len(rows)
            for _, encrypted, nik_hash in rows:
                tally.found[key_ids(encrypted, nik_hash)] += 1
            if not dry_run:
                await _rewrite(session, vault, rows, tally)
        if progress is not None:
            progress(len(rows))


async def _rewrite(
    session: AsyncSession,
    vault: NikVault,
    rows: list[tuple[uuid.UUID, str, str | None]],
    tally: RekeyTally,
) -> None:
    planned: dict[uuid.UUID, tuple[str, str]] = {}
    for volunteer_id, encrypted, _ in rows:
        try:
            nik = vault.decrypt(encrypted)
        except UnknownNikKey:
            tally.unreadable += 1
            tally.unreadable_ids.append(volunteer_id)
            continue
        planned[volunteer_id] = (nik, vault.hash(nik))
    # The active hash must not be another row's already (the unique column would refuse
    # the whole chunk): such a pair is one NIK registered twice, for a person to resolve.
    hashes = [h for _, h in planned.values()]
    query = select(col(Volunteer.nik_hash), col(Volunteer.id)).where(
        col(Volunteer.nik_hash).in_(hashes)
    )
    taken = {str(h): i for h, i in (await session.execute(query)).all()}
    seen: set[str] = set()
    for volunteer_id, encrypted, old_hash in rows:
        if volunteer_id not in planned:
            continue
        nik, new_hash = planned[volunteer_id]
        if taken.get(new_hash, volunteer_id) != volunteer_id or new_hash in seen:
            tally.conflicts += 1
            tally.conflict_ids.append(volunteer_id)
            continue
        seen.add(new_hash)
        same_hash = (
            col(Volunteer.nik_hash).is_(None)
            if old_hash is None
            else col(Volunteer.nik_hash) == old_hash
        )
        result = await session.execute(
            update(Volunteer)
            .where(
                col(Volunteer.id) == volunteer_id,
                col(Volunteer.nik_encrypted) == encrypted,
                same_hash,
            )
            .values(nik_encrypted=vault.encrypt(nik), nik_hash=new_hash)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            tally.rewritten += 1
        else:
            tally.changed += 1
