"""sessions: the cancellation reason as training's code, no longer its free text

training now publishes `session-cancelled` with a `reason_code` from a closed list; what an
organiser typed stays in training. The read model keeps the code (CHECK of the list) and
forgets the free text it received before: rows that had one get `other`. The list is
written out here, not imported from the code: a migration states what the schema was at
its revision.

Revision ID: b7e1f0c2d4a6
Revises: 9d952a40811f
Create Date: 2026-12-10 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e1f0c2d4a6"
down_revision: str | None = "9d952a40811f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODES = (
    "('venue_unavailable', 'trainer_unavailable', 'too_few_participants', "
    "'disaster_or_emergency', 'budget', 'rescheduled', 'other')"
)


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.add_column(sa.Column("cancel_reason_code", sa.String(length=40), nullable=True))
    op.execute("UPDATE sessions SET cancel_reason_code = 'other' WHERE cancel_reason IS NOT NULL")
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.create_check_constraint(
            op.f("ck_sessions_cancel_reason_code"), f"cancel_reason_code IN {CODES}"
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.String(), nullable=True))
    op.execute("UPDATE sessions SET cancel_reason = cancel_reason_code")
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_constraint(op.f("ck_sessions_cancel_reason_code"), type_="check")
        batch_op.drop_column("cancel_reason_code")
