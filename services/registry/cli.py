"""`python -m tools.cli registry …`: bulk import, operator accounts and their tokens."""

from __future__ import annotations

import asyncio
import getpass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from services.registry.config import Settings
from services.registry.domain.enums import OperatorRole
from services.registry.domain.errors import InvalidOperator, OperatorExists, UnreadableFile
from services.registry.nik_vault import NikVault
from services.registry.service import operators
from services.registry.service.access import Actor
from services.registry.service.imports import Importer
from services.registry.service.rekey import RekeyTally, rekey
from services.registry.service.spreadsheets import count_rows
from shared.clock import SYSTEM_CLOCK
from shared.db import make_engine, make_read_sessionmaker, make_sessionmaker
from shared.identity import mint_token

app = typer.Typer(help="registry: imports, operators, tokens", no_args_is_help=True)
imports = typer.Typer(help="Bulk imports (CSV, XLSX)", no_args_is_help=True)
ops = typer.Typer(help="Operator accounts and development tokens", no_args_is_help=True)
app.add_typer(imports, name="import")
app.add_typer(ops, name="operators")


@imports.command("volunteers")
def import_volunteers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX")],
    scope: Annotated[str, typer.Option(help="region the import is limited to")] = "national",
    actor: Annotated[str, typer.Option(help="recorded in the audit log")] = "",
    errors: Annotated[
        Path | None, typer.Option(help="where to write the per-row error report")
    ] = None,
) -> None:
    """Import a volunteer list into the registry database (events go out via the outbox)."""
    settings = Settings()
    who = Actor(actor or f"cli:{getpass.getuser()}", "national_admin", scope)
    try:
        record = asyncio.run(_import(settings, file, who))
    except UnreadableFile as exc:
        typer.secho(f"cannot import {file.name}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"import {record.id}: {record.rows} rows, {record.imported} imported, "
        f"{record.invalid} invalid, {record.duplicates} duplicates"
    )
    target = errors or file.with_name(file.stem + ".errors.csv")
    if record.invalid or record.duplicates:
        target.write_text(record.errors_csv, encoding="utf-8")
        typer.echo(f"error report: {target}")


async def _import(settings: Settings, file: Path, who: Actor):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.database_url)
    try:
        importer = Importer(
            make_sessionmaker(engine),
            actor=who,
            vault=NikVault(settings),
            settings=settings,
            clock=SYSTEM_CLOCK,
        )
        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn()) as progress:
            task = progress.add_task(f"importing {file.name}", total=count_rows(file))
            return await importer.run_file(
                file,
                filename=file.name,
                progress=lambda n: progress.advance(task, n),
            )
    finally:
        await engine.dispose()


@ops.command("create")
def create_operator(
    email: str,
    role: Annotated[
        OperatorRole,
        typer.Option(help="national_admin, province_operator, regency_operator, viewer"),
    ],
    scope: Annotated[str, typer.Option(help="'national', a province '32' or a regency '32.76'")],
) -> None:
    """Create an operator account."""

    async def run() -> str:
        engine = make_engine(Settings().database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                op = await operators.create_operator(
                    session, email=email, role=role, scope=scope, now=SYSTEM_CLOCK.now()
                )
                return f"operator {op.id}: {op.email} {op.role} {op.scope}"
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(run()))
    except (InvalidOperator, OperatorExists) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc


@ops.command("token")
def operator_token(
    email: str,
    hours: Annotated[int, typer.Option(help="validity")] = 12,
) -> None:
    """Print a bearer token carrying the operator's role and scope (development)."""
    settings = Settings()

    async def find() -> tuple[str, str] | None:
        engine = make_engine(settings.database_url)
        try:
            async with make_read_sessionmaker(engine)() as session:
                op = await operators.find_operator(session, email)
                return (op.role, op.scope) if op and op.active else None
        finally:
            await engine.dispose()

    found = asyncio.run(find())
    if found is None:
        typer.secho(f"no active operator {email}", fg="red", err=True)
        raise typer.Exit(1)
    role, scope = found
    typer.echo(
        mint_token(settings, subject=email, role=role, scope=scope, ttl=timedelta(hours=hours))
    )


@ops.command("list")
def list_operators() -> None:
    """All operator accounts."""

    async def run() -> list[str]:
        engine = make_engine(Settings().database_url)
        try:
            async with make_read_sessionmaker(engine)() as session:
                rows = await operators.all_operators(session)
                return [f"{o.id}  {o.email}  {o.role}  {o.scope}  active={o.active}" for o in rows]
        finally:
            await engine.dispose()

    for line in asyncio.run(run()):
        typer.echo(line)


@app.command("events")
def recent_events(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 20,
) -> None:
    """Show the newest events registry staged (outbox) and whether Kafka acknowledged them."""
    from sqlalchemy import select

    from services.registry.db.tables import outbox

    async def run() -> list[str]:
        engine = make_engine(Settings().database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(select(outbox).order_by(outbox.c.id.desc()).limit(limit))
                return [
                    f"{r.created_at:%H:%M:%S} {r.event_type:<26} key={r.key} "
                    f"{'published' if r.published_at else 'pending'}  {r.payload}"
                    for r in rows
                ]
        finally:
            await engine.dispose()

    for line in asyncio.run(run()):
        typer.echo(line)


@app.command("rekey")
def rekey_niks(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="count the rows under older keys, change nothing")
    ] = False,
    chunk_size: Annotated[
        int | None, typer.Option(min=1, help="rows per transaction (NIK_REKEY_CHUNK_SIZE)")
    ] = None,
) -> None:
    """Re-encrypt every stored NIK with the active key and recompute its lookup hash with
    the active hash key: chunked, idempotent, resumable, safe while the service runs.

    Exit code 0 when every row is under the active keys, 1 when rows remain (unreadable:
    a key missing from the previous keys; conflicts: one NIK registered twice).
    """
    settings = Settings()
    vault = NikVault(settings)

    async def run() -> RekeyTally:
        engine = make_engine(settings.database_url)
        try:
            with Progress(TimeElapsedColumn(), transient=True) as bar:
                task = bar.add_task("re-keying NIKs", total=None)
                return await rekey(
                    make_sessionmaker(engine),
                    vault,
                    chunk_size=chunk_size or settings.nik_rekey_chunk_size,
                    dry_run=dry_run,
                    progress=lambda n: bar.advance(task, n),
                )
        finally:
            await engine.dispose()

    tally = asyncio.run(run())
    active = f"encryption key {vault.encryption_kid!r}, hash key {vault.hash_kid!r}"
    under = ", ".join(f"{n} under {e}/{h}" for (e, h), n in sorted(tally.found.items()))
    typer.echo(f"active keys: {active}; rows under older keys: {tally.examined} ({under or '-'})")
    if dry_run:
        return
    typer.echo(
        f"rewritten {tally.rewritten}, changed by the service meanwhile {tally.changed}, "
        f"unreadable {tally.unreadable}, conflicts {tally.conflicts}"
    )
    if not tally.complete:
        for label, ids in (("unreadable", tally.unreadable_ids), ("conflict", tally.conflict_ids)):
            for volunteer_id in ids[:20]:
                typer.secho(f"{label}: volunteer {volunteer_id}", fg="yellow", err=True)
        raise typer.Exit(1)
