"""notifications: a priority class per message, and the dispatcher's index on it

critical (0: cancellation, session moved) before transactional (1: enrolment, result,
reminder, certificate) before bulk (2: welcome, broadcast, digest). Rows from before get
their template's class. The lists are written out here, not imported: a migration states
the schema at its revision.

Revision ID: d8f2a6c1e4b9
Revises: c4a9e2d7f1b3
Create Date: 2026-12-14 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d8f2a6c1e4b9"
down_revision: str | None = "c4a9e2d7f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="1"))
    op.execute(
        "UPDATE notifications SET priority = 0"
        " WHERE template IN ('session-cancelled', 'session-rescheduled')"
    )
    op.execute(
        "UPDATE notifications SET priority = 2"
        " WHERE template IN ('registration-received', 'broadcast', 'operator-digest')"
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.create_check_constraint(op.f("ck_notifications_priority"), "priority IN (0, 1, 2)")
        batch_op.create_index(
            "ix_notifications_priority_due", ["priority", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_priority_due")
        batch_op.drop_constraint(op.f("ck_notifications_priority"), type_="check")
        batch_op.drop_column("priority")
