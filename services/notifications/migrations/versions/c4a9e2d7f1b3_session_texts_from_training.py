"""sessions: title and venue become a copy fetched from training, versioned by its events

training no longer publishes a session's title, organiser or venue name (`session-scheduled`
and `session-rescheduled` v2); notifications fetches them from training's
`/internal/sessions/{id}` when it writes a message. `texts_version` is bumped by each
schedule or reschedule event, `texts_fetched_at` says when the copy was fetched; rows from
before have none, so their next message fetches fresh texts.

Revision ID: c4a9e2d7f1b3
Revises: b7e1f0c2d4a6
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c4a9e2d7f1b3"
down_revision: str | None = "b7e1f0c2d4a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.add_column(
            sa.Column("texts_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("texts_fetched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch_op:
        batch_op.drop_column("texts_fetched_at")
        batch_op.drop_column("texts_version")
