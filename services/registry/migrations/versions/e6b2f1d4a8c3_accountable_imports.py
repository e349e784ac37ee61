"""accountable imports: interrupted status, counts

Revision ID: e6b2f1d4a8c3
Revises: d5a1e0c3f7b2
Create Date: 2026-12-03 15:50:00.000000

An import's record is written before its first row, with status `running`, and its counts
and `updated_at` are updated in each chunk's transaction; a record still `running` without
progress is marked `interrupted` at start-up. Imports recorded before this revision were
all finished: they become `completed`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e6b2f1d4a8c3"
down_revision: str | None = "d5a1e0c3f7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision (domain/enums.py ImportStatus), spelled out on purpose.
STATUSES = ("running", "completed", "failed", "interrupted")


def upgrade() -> None:
    # Batch mode: SQLite adds a column with a CHECK only by rebuilding the table (alembic
    # copies it); PostgreSQL gets plain ALTER TABLE statements.
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="completed",
            )
        )
        batch_op.add_column(
            sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE imports SET updated_at = COALESCE(finished_at, started_at)")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        # The server default only filled the existing rows; the application sets the status.
        batch_op.alter_column("status", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_imports_status"), f"status IN ({', '.join(repr(v) for v in STATUSES)})"
        )


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_imports_status"), type_="check")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("status")
