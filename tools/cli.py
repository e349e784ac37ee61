"""`python -m tools.cli …`: database migrations, topics, development tokens."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from alembic import command

from shared.auth import Role, mint_token
from shared.kafka import ensure_topics
from shared.migrations import alembic_config, upgrade
from tools.services import SERVICE_NAMES, SERVICES

app = typer.Typer(help="PSM platform tools", no_args_is_help=True)
db = typer.Typer(help="Database migrations (one Alembic history per service)", no_args_is_help=True)
topics = typer.Typer(help="Kafka topics", no_args_is_help=True)
tokens = typer.Typer(help="Development bearer tokens", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(topics, name="topics")
app.add_typer(tokens, name="token")

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


@tokens.command("mint")
def token_mint(
    subject: str,
    role: Annotated[
        Role,
        typer.Option(help="national_admin, province_operator, regency_operator, viewer, service"),
    ],
    scope: Annotated[
        str, typer.Option(help="'national', a province '32' or a regency '32.76'")
    ] = "national",
    service: Annotated[str, typer.Option(help="whose settings hold the signing key")] = "registry",
) -> None:
    """Print a development bearer token."""
    typer.echo(mint_token(_spec(service).settings(), subject=subject, role=role, scope=scope))


def _mount_service_clis() -> None:
    """A service may ship `services/<name>/cli.py` with a Typer `app`: it appears as `psm <name> …`."""
    import importlib
    import importlib.util

    for name in SERVICE_NAMES:
        if importlib.util.find_spec(f"services.{name}.cli") is not None:
            app.add_typer(importlib.import_module(f"services.{name}.cli").app, name=name)


_mount_service_clis()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
