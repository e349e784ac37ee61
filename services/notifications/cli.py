"""`python -m tools.cli notifications …`: preview templates, show what the stack would have sent."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from services.notifications.domain import templates
from shared.identity import OPERATOR_AUDIENCES, Role

app = typer.Typer(help="Notifications: templates and the development outbox", no_args_is_help=True)
console = Console()


@app.command("templates")
def list_templates() -> None:
    """Every template with its version and category."""
    table = Table("name", "version", "category", "subject")
    for t in templates.TEMPLATES.values():
        table.add_row(t.name, str(t.version), t.category, t.subject)
    console.print(table)


@app.command("preview")
def preview(name: str) -> None:
    """Render a template against its example event."""
    try:
        subject, body = templates.preview(name)
    except templates.TemplateError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console.print(f"[bold]{subject}[/bold]\n{body}")


@app.command("sent")
def sent(
    url: Annotated[str, typer.Option(help="notifications' base URL")] = "http://127.0.0.1:8003",
    limit: Annotated[int, typer.Option(help="how many ledger rows")] = 20,
) -> None:
    """What a running stack sent or would have sent (ledger, newest first), asked with a
    development token signed by the stack's key (`make run`, tools.devkeys)."""
    from tools.devkeys import issuer
    from tools.stack import default_var_dir

    token = issuer(default_var_dir()).mint(
        subject="notifications-cli",
        role=Role.NATIONAL_ADMIN,
        scope="national",
        audiences=OPERATOR_AUDIENCES,
    )
    answer = httpx.get(
        f"{url}/notifications",
        params={"limit": limit},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    answer.raise_for_status()
    table = Table("created", "template", "status", "channel", "body")
    for n in answer.json():
        table.add_row(n["created_at"][:19], n["template"], n["status"], n["channel"], n["body"])
    console.print(table)
