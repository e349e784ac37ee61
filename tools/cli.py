"""`python -m tools.cli …`: migrations, topics, outbox re-publishing, development tokens."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Annotated

import typer
from alembic import command

from shared.db import make_engine, make_sessionmaker
from shared.identity import OPERATOR_AUDIENCES, Audience, Permission, Role
from shared.kafka import ensure_topics
from shared.migrations import alembic_config, upgrade
from shared.outbox import as_utc, count_published, define_outbox, mark_for_republish
from tools.services import SERVICE_NAMES, SERVICES

app = typer.Typer(help="PSM platform tools", no_args_is_help=True)
db = typer.Typer(help="Database migrations (one Alembic history per service)", no_args_is_help=True)
topics = typer.Typer(help="Kafka topics", no_args_is_help=True)
tokens = typer.Typer(help="Development bearer tokens", no_args_is_help=True)
outbox_cli = typer.Typer(help="The transactional outbox of a service", no_args_is_help=True)
secrets_cli = typer.Typer(help="Secrets of the production profile", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(topics, name="topics")
app.add_typer(outbox_cli, name="outbox")
app.add_typer(tokens, name="token")
app.add_typer(secrets_cli, name="secrets")

ServiceArg = Annotated[str, typer.Argument(help=f"one of {', '.join(SERVICE_NAMES)}")]


def _spec(name: str):  # type: ignore[no-untyped-def]
    if name not in SERVICES:
        raise typer.BadParameter(
            f"unknown service {name!r}; choose from {', '.join(SERVICE_NAMES)}"
        )
    return SERVICES[name]


@db.command("upgrade")
def db_upgrade(service: ServiceArg = "all") -> None:
    """Migrate a service's database (or all) to the newest revision."""
    for name in SERVICE_NAMES if service == "all" else (service,):
        spec = _spec(name)
        upgrade(spec.migrations_dir, spec.settings().database_url)
        typer.echo(f"{name}: migrated")


@db.command("revision")
def db_revision(service: ServiceArg, message: Annotated[str, typer.Option("-m")]) -> None:
    """Autogenerate a migration from the service's tables (database must be at head)."""
    spec = _spec(service)
    cfg = alembic_config(spec.migrations_dir, spec.settings().database_url)
    command.revision(cfg, message=message, autogenerate=True)


@topics.command("create")
def topics_create() -> None:
    """Create every service's topics (and dead-letter topics) with the configured partitions."""
    for name in SERVICE_NAMES:
        module = __import__(f"services.{name}.main", fromlist=["create_app"])
        runtime = module.create_app().state.runtime
        asyncio.run(ensure_topics(runtime.settings, runtime.topics()))
        typer.echo(f"{name}: {', '.join(f'{t} ({p})' for t, p in runtime.topics().items())}")


def _moment(value: str, option: str) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO time (e.g. 2026-03-01T02:00+07:00)", param_hint=option
        ) from None


async def republish(
    service: str,
    *,
    since: datetime,
    until: datetime | None = None,
    topic: str | None = None,
    dry_run: bool = False,
) -> int:
    """Mark the service's outbox rows acknowledged in [since, until) pending again; the
    service's running relay then sends them again. Returns how many rows (would) change."""
    from sqlalchemy import MetaData

    settings = _spec(service).settings()
    engine = make_engine(settings.database_url, pool_size=1)
    table = define_outbox(MetaData())
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            if dry_run:
                return await count_published(session, table, since=since, until=until, topic=topic)
            return await mark_for_republish(session, table, since=since, until=until, topic=topic)
    finally:
        await engine.dispose()


_REPUBLISH_HELP = (
    "Re-publish a window of published events, for a broker that lost its log. "
    "Marks the service's outbox rows the broker acknowledged in [--since, --until) pending "
    "again, in the service's database (<SERVICE>_DATABASE_URL); its running relay sends them "
    "again in their original order, and consumers' inboxes skip what they already applied. "
    "Rows older than the service's outbox_retention_hours are no longer kept."
)


@outbox_cli.command("republish", help=_REPUBLISH_HELP)
def outbox_republish(
    service: ServiceArg,
    since: Annotated[
        str,
        typer.Option(help="ISO time; rows the broker acknowledged from then on (no offset = UTC)"),
    ],
    until: Annotated[
        str | None, typer.Option(help="ISO time; up to (not including) then (default: now)")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="only this topic")] = None,
    dry_run: Annotated[bool, typer.Option(help="count the rows, change nothing")] = False,
) -> None:
    """Re-publish a window of published events (a broker that lost its log)."""
    start = _moment(since, "--since")
    end = _moment(until, "--until") if until else None
    if end is not None and end <= start:
        raise typer.BadParameter("--until must be after --since", param_hint="--until")
    rows = asyncio.run(republish(service, since=start, until=end, topic=topic, dry_run=dry_run))
    window = f"{start.isoformat()} – {end.isoformat() if end else 'now'}"
    scope = f" on {topic}" if topic else ""
    verb = "would be marked" if dry_run else "marked"
    typer.echo(f"{service}: {rows} outbox rows published {window}{scope} {verb} for re-publishing")


@tokens.command("mint")
def token_mint(
    role: Annotated[
        Role,
        typer.Option(help="national_admin, province_operator, regency_operator, viewer, service"),
    ] = Role.NATIONAL_ADMIN,
    scope: Annotated[
        str, typer.Option(help="'national', a province '32' or a regency '32.76'")
    ] = "national",
    subject: Annotated[
        str, typer.Option(help="the token's sub: an operator id, or a service name")
    ] = "dev-operator",
    minutes: Annotated[int, typer.Option(min=1, max=15, help="lifetime (at most 15)")] = 15,
    permission: Annotated[
        list[Permission] | None, typer.Option(help="a service token's permissions (repeat)")
    ] = None,
    audience: Annotated[
        Audience | None, typer.Option(help="a service token's audience (default psm-registry)")
    ] = None,
) -> None:
    """Print a development bearer token, signed with the key `make run` generated in var/
    (the stack's own issuer key): an operator's is good at all three services."""
    from tools.devkeys import issuer
    from tools.stack import default_var_dir

    service = role is Role.SERVICE
    try:
        token = issuer(default_var_dir()).mint(
            subject=subject,
            role=role,
            scope=scope,
            audiences=[audience or Audience.REGISTRY] if service else OPERATOR_AUDIENCES,
            ttl=timedelta(minutes=minutes),
            permissions=permission or (),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(token)


def _mount_service_clis() -> None:
    """A service may ship `services/<name>/cli.py` with a Typer `app`: it appears as `psm <name> …`."""
    import importlib
    import importlib.util

    for name in SERVICE_NAMES:
        if importlib.util.find_spec(f"services.{name}.cli") is not None:
            app.add_typer(importlib.import_module(f"services.{name}.cli").app, name=name)


_mount_service_clis()


def main() -> None:
    """Run the command line."""
    app()


if __name__ == "__main__":
    main()
