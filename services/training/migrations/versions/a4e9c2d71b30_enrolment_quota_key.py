"""the organisation quota a place was nominated for

Quotas are keyed by region code, by the remainder key (`national` or `remainder`) or by an
organisation that is not a region (`org:ipsm-pusat`). A region quota follows from the
volunteer's region; an organisation quota is named by the organiser at enrolment and kept
in `enrolments.quota_key` (null: the region decides). Existing rows stay null.

Revision ID: a4e9c2d71b30
Revises: 7d2e4c1a9b58
Create Date: 2026-12-03 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4e9c2d71b30"
down_revision: str | None = "7d2e4c1a9b58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable `enrolments.quota_key`."""
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.add_column(sa.Column("quota_key", sa.String(length=60), nullable=True))


def downgrade() -> None:
    """Drop it (places fall back to their region's quota)."""
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.drop_column("quota_key")
