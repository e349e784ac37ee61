"""notifications: a volunteer's own quiet hours (set on their page; NULL: the settings')

Revision ID: a3c5e7f9b1d4
Revises: d8f2a6c1e4b9
Create Date: 2026-12-04 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3c5e7f9b1d4"
down_revision: str | None = "d8f2a6c1e4b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as batch_op:
        batch_op.add_column(sa.Column("quiet_start_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end_hour", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recipients") as batch_op:
        batch_op.drop_column("quiet_end_hour")
        batch_op.drop_column("quiet_start_hour")
