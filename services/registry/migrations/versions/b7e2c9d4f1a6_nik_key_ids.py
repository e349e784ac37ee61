"""NIK key ids: the lookup hash carries its key's id ("<kid>:<64 hex>"), so the column widens

Revision ID: b7e2c9d4f1a6
Revises: c4e1a7d2b9f0
Create Date: 2026-12-03 15:50:00.000000

Rows keep their values: a bare 64-hex hash (and a ciphertext without a "v2:<kid>:" prefix)
is version 1 and stays readable; `python -m tools.cli registry rekey` rewrites them.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7e2c9d4f1a6'
down_revision: str | None = 'c4e1a7d2b9f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """nik_hash: VARCHAR(64) → VARCHAR(96) (a key id of up to 16 characters and ':')."""
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.alter_column(
            'nik_hash',
            existing_type=sa.String(length=64),
            type_=sa.String(length=96),
            existing_nullable=True,
        )


def downgrade() -> None:
    """Back to VARCHAR(64): only once no hash carries a key id (PostgreSQL refuses longer
    values; there is no way back from prefixed hashes without the keys)."""
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.alter_column(
            'nik_hash',
            existing_type=sa.String(length=96),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
