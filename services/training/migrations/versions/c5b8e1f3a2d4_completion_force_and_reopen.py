"""completion before the last day only when forced, and re-opening for correction

`sessions.completion_forced_reason` (why a session was completed before its last day),
`first_completed_at` (the correction window runs from it; sessions completed before this
revision take their `completed_at`), `reopened_at` and `reopen_reason_code` (the last
re-opening). The closed lists are written out: a migration states the schema at its revision.

Revision ID: c5b8e1f3a2d4
Revises: a4e9c2d71b30
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c5b8e1f3a2d4"
down_revision: str | None = "a4e9c2d71b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORCE_CODES = "('ended_early', 'records_complete', 'other')"
REOPEN_CODES = "('attendance_wrong', 'scores_wrong', 'completed_too_early', 'other')"
UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    """Add the columns and their CHECK constraints; fill `first_completed_at`."""
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.add_column(
            sa.Column("completion_forced_reason", sa.String(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("first_completed_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("reopened_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("reopen_reason_code", sa.String(length=40), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_sessions_completion_forced_reason"),
            f"completion_forced_reason IN {FORCE_CODES}",
        )
        batch_op.create_check_constraint(
            op.f("ck_sessions_reopen_reason_code"), f"reopen_reason_code IN {REOPEN_CODES}"
        )
    op.execute("UPDATE sessions SET first_completed_at = completed_at")


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_constraint(op.f("ck_sessions_reopen_reason_code"), type_="check")
        batch_op.drop_constraint(op.f("ck_sessions_completion_forced_reason"), type_="check")
        for column in (
            "reopen_reason_code",
            "reopened_at",
            "first_completed_at",
            "completion_forced_reason",
        ):
            batch_op.drop_column(column)
