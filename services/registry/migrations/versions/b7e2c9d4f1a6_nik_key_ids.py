"""NIK key ids

Revision ID: b7e2c9d4f1a6
Revises: c4e1a7d2b9f0
Create Date: 2026-12-03 15:50:00.000000
"""
from collections.abc import Sequence

revision: str = 'b7e2c9d4f1a6'
down_revision: str | None = 'c4e1a7d2b9f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet (placeholder in the chain; filled in by its change)."""


def downgrade() -> None:
    """Nothing yet."""
