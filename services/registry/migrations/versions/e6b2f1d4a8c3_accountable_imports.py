"""accountable imports: interrupted status, counts

Revision ID: e6b2f1d4a8c3
Revises: d5a1e0c3f7b2
Create Date: 2026-12-03 15:50:00.000000
"""
from collections.abc import Sequence

revision: str = 'e6b2f1d4a8c3'
down_revision: str | None = 'd5a1e0c3f7b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet (placeholder in the chain; filled in by its change)."""


def downgrade() -> None:
    """Nothing yet."""
