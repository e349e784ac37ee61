"""`python -m tools.cli registry …`: bulk import, operator accounts and their tokens."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.config import Settings
from services.registry.db.tables import Operator
from services.registry.domain.enums import OperatorRole
from services.registry.domain.errors import OperatorNotFound, UnreadableFile
from services.registry.domain.operators import check_new_password
from services.registry.nik_vault import NikVault
from services.registry.service import operators
from services.registry.service.access import Actor
from services.registry.service.import_report import report_csv
from services.registry.service.imports import Importer
from services.registry.service.passwords import Passwords
from services.registry.service.rekey import RekeyTally, rekey
from services.registry.service.spreadsheets import count_rows
from services.registry.state import build_issuer
from shared.clock import SYSTEM_CLOCK
from shared.db import make_engine, make_read_sessionmaker, make_sessionmaker
from shared.errors import DomainError
from shared.i18n import negotiate
from shared.identity import OPERATOR_AUDIENCES, Role

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
    language: Annotated[
        str, typer.Option(help="the error report's language: id (Bahasa Indonesia) or en")
    ] = "id",
    include_registered: Annotated[
        bool, typer.Option(help="list rows whose NIK was already registered (else counted)")
    ] = True,
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
        f"{record.invalid} invalid, {record.duplicates} duplicates "
        f"({record.already_registered} already registered)"
    )
    target = errors or file.with_name(file.stem + ".errors.csv")
    if record.invalid or record.duplicates:
        report = report_csv(
            record.errors_csv, negotiate(language), include_registered=include_registered
        )
        target.write_text(report, encoding="utf-8")
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


def _cli_actor() -> Actor:
    """The audit log's actor for an account change made with the CLI (a national admin's
    reach: whoever runs it holds the database)."""
    return Actor(f"cli:{getpass.getuser()}", "national_admin", "national")


def _read_password(password_stdin: bool, *, confirm: bool = True) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=confirm))


def _run_account_change(change: Callable[[AsyncSession], Awaitable[str]]) -> None:
    """Run one account change in a transaction and print its outcome (or its refusal)."""

    async def run() -> str:
        engine = make_engine(Settings().database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await change(session)
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(run()))
    except DomainError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc


@ops.command("create")
def create_operator(
    email: str,
    role: Annotated[
        OperatorRole,
        typer.Option(help="national_admin, province_operator, regency_operator, viewer"),
    ],
    scope: Annotated[str, typer.Option(help="'national', a province '32' or a regency '32.76'")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create an operator account with an initial password (prompted for, twice)."""
    password = _read_password(password_stdin)

    async def change(session: AsyncSession) -> str:
        op = await operators.create_operator(
            session,
            actor=_cli_actor(),
            email=email,
            role=role,
            scope=scope,
            password=password,
            passwords=Passwords(),
            now=SYSTEM_CLOCK.now(),
        )
        return f"operator {op.id}: {op.email} {op.role} {op.scope}"

    _run_account_change(change)


async def _operator_id(session: AsyncSession, email: str) -> uuid.UUID:
    op = await operators.find_operator(session, email)
    if op is None:
        raise OperatorNotFound(uuid.UUID(int=0))
    return op.id


@ops.command("disable")
def disable_operator(email: str) -> None:
    """Disable an account: no more logins, every token it holds refused by every service
    within a minute (the laptop-was-stolen runbook, services/registry/README.md)."""

    async def change(session: AsyncSession) -> str:
        op = await operators.set_active(
            session,
            await _operator_id(session, email),
            False,
            actor=_cli_actor(),
            now=SYSTEM_CLOCK.now(),
        )
        return f"operator {op.id} disabled; its tokens are revoked"

    _run_account_change(change)


@ops.command("enable")
def enable_operator(email: str) -> None:
    """Enable a disabled account again (earlier tokens stay revoked)."""

    async def change(session: AsyncSession) -> str:
        op = await operators.set_active(
            session,
            await _operator_id(session, email),
            True,
            actor=_cli_actor(),
            now=SYSTEM_CLOCK.now(),
        )
        return f"operator {op.id} enabled"

    _run_account_change(change)


@ops.command("password")
def set_operator_password(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Set an account's password (accounts created before passwords existed have none);
    every token of the account is revoked."""
    password = _read_password(password_stdin)

    async def change(session: AsyncSession) -> str:
        op = await operators.find_operator(session, email)
        if op is None:
            raise OperatorNotFound(uuid.UUID(int=0))
        check_new_password(password, email=op.email)
        await operators.set_password(
            session,
            op,
            password,
            passwords=Passwords(),
            actor=_cli_actor(),
            now=SYSTEM_CLOCK.now(),
        )
        return f"operator {op.id}: password set; its tokens are revoked"

    _run_account_change(change)


@ops.command("token")
def operator_token(
    email: str,
    minutes: Annotated[int, typer.Option(min=1, max=15, help="validity (at most 15)")] = 15,
) -> None:
    """Print an access token of an active operator, signed with registry's key
    (REGISTRY_SIGNING_KEYS) like a login's: for development and scripts."""
    settings = Settings()
    if settings.signing_keys is None:
        typer.secho(
            "set REGISTRY_SIGNING_KEYS to the key registry runs with (without it registry "
            "signs with an ephemeral key that no token from here would match)",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)

    async def find() -> Operator | None:
        engine = make_engine(settings.database_url)
        try:
            async with make_read_sessionmaker(engine)() as session:
                op = await operators.find_operator(session, email)
                return op if op and op.active else None
        finally:
            await engine.dispose()

    found = asyncio.run(find())
    if found is None:
        typer.secho(f"no active operator {email}", fg="red", err=True)
        raise typer.Exit(1)
    issuer = build_issuer(settings, clock=SYSTEM_CLOCK)
    typer.echo(
        issuer.mint(
            subject=str(found.id),
            role=Role(found.role),
            scope=found.scope,
            audiences=OPERATOR_AUDIENCES,
            ttl=timedelta(minutes=minutes),
        )
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
