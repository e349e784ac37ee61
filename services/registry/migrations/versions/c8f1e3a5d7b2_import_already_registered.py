"""imports: already_registered count

Revision ID: c8f1e3a5d7b2
Revises: a9d3f5b7c2e4
Create Date: 2026-12-04 10:00:00.000000

Of an import's duplicates, how many rows were refused only because their NIK was registered
before (the error report can leave those out: `?include_registered=false`). Imports
recorded before this revision get the count from their stored report, whose rows name the
existing volunteer exactly for these.
"""

import csv
import io
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c8f1e3a5d7b2"
down_revision: str | None = "a9d3f5b7c2e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _registered(report: str) -> int:
    """Rows of a report (row, field, reason, existing_volunteer_id) naming a volunteer."""
    rows = list(csv.reader(io.StringIO(report)))[1:]
    return sum(1 for cells in rows if cells and cells[-1].strip())


def upgrade() -> None:
    # The server default stays: a replica still running the previous version records its
    # imports without the column while this one rolls out.
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("already_registered", sa.Integer(), nullable=False, server_default="0")
        )
    bind = op.get_bind()
    found = bind.execute(sa.text("SELECT id, errors_csv FROM imports WHERE duplicates > 0"))
    for import_id, report in found.all():
        bind.execute(
            sa.text("UPDATE imports SET already_registered = :n WHERE id = :id"),
            {"n": _registered(report or ""), "id": import_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("already_registered")
