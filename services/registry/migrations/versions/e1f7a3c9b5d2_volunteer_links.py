"""volunteer links: one-time links to a volunteer's own page (only the code's SHA-256)

Revision ID: e1f7a3c9b5d2
Revises: c8f1e3a5d7b2
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e1f7a3c9b5d2"
down_revision: str | None = "c8f1e3a5d7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_links",
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_volunteer_links")),
    )
    op.create_index(
        op.f("ix_volunteer_links_volunteer_id"), "volunteer_links", ["volunteer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_volunteer_links_volunteer_id"), table_name="volunteer_links")
    op.drop_table("volunteer_links")
