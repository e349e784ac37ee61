"""how many times a session was evaluated (completed), for `participant-evaluated`

`sessions.evaluations`: 1 at the first completion, +1 at each completion after a
re-opening; each participant's published result carries it. Sessions completed before this
revision count 1, or 2 when they were re-opened and completed again (the last re-opening is
all that was kept).

Revision ID: e3b7d9a5c2f1
Revises: c5b8e1f3a2d4
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3b7d9a5c2f1"
down_revision: str | None = "c5b8e1f3a2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the counter and count the completions already made."""
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.add_column(
            sa.Column("evaluations", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE sessions SET evaluations = CASE"
        " WHEN first_completed_at IS NULL THEN 0"
        " WHEN reopened_at IS NOT NULL AND status = 'completed' THEN 2"
        " ELSE 1 END"
    )


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_column("evaluations")
