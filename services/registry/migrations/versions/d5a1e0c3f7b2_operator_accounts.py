"""operator accounts: passwords, login sessions, revocations

Revision ID: d5a1e0c3f7b2
Revises: b7e2c9d4f1a6
Create Date: 2026-12-03 15:50:00.000000
"""
from collections.abc import Sequence

revision: str = 'd5a1e0c3f7b2'
down_revision: str | None = 'b7e2c9d4f1a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet (placeholder in the chain; filled in by its change)."""


def downgrade() -> None:
    """Nothing yet."""
