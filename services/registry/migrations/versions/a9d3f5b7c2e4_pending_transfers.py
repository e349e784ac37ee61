"""pending transfers: transfers between regencies opened by one end, decided by the other

Revision ID: a9d3f5b7c2e4
Revises: f2c8a4e6b1d9
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a9d3f5b7c2e4"
down_revision: str | None = "f2c8a4e6b1d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision (TransferState, TransferSide), spelled out on purpose.
STATES = ("requested", "released", "confirmed", "declined", "cancelled")
SIDES = ("origin", "destination")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "pending_transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("from_village_code", text(length=13), nullable=False),
        sa.Column("from_regency_code", text(length=5), nullable=False),
        sa.Column("to_village_code", text(length=13), nullable=False),
        sa.Column("to_regency_code", text(length=5), nullable=False),
        sa.Column("state", text(length=20), nullable=False),
        sa.Column("opened_by_side", text(length=20), nullable=False),
        sa.Column("opened_by", text(length=200), nullable=False),
        sa.Column("opened_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_by", text(length=200), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_pending_transfers_state")),
        sa.CheckConstraint(
            _in("opened_by_side", SIDES), name=op.f("ck_pending_transfers_opened_by_side")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_transfers")),
    )
    op.create_index(
        op.f("ix_pending_transfers_volunteer_id"), "pending_transfers", ["volunteer_id"]
    )
    op.create_index(
        "ix_pending_transfers_from_regency", "pending_transfers", ["from_regency_code", "state"]
    )
    op.create_index(
        "ix_pending_transfers_to_regency", "pending_transfers", ["to_regency_code", "state"]
    )


def downgrade() -> None:
    op.drop_index("ix_pending_transfers_to_regency", table_name="pending_transfers")
    op.drop_index("ix_pending_transfers_from_regency", table_name="pending_transfers")
    op.drop_index(op.f("ix_pending_transfers_volunteer_id"), table_name="pending_transfers")
    op.drop_table("pending_transfers")
