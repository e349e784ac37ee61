"""closed lists as check constraints: statuses, training levels, sex, operator roles

Revision ID: c4e1a7d2b9f0
Revises: bfab0480afc6
Create Date: 2026-12-03 13:50:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'c4e1a7d2b9f0'
down_revision: str | None = 'bfab0480afc6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The values as of this revision (domain/enums.py); a later change of a list needs its own
# migration, so they are spelled out here rather than imported.
STATUSES = ("candidate", "active", "inactive", "resigned", "revoked", "deceased")
LEVELS = ("dasar", "lanjutan", "khusus")
SEXES = ("L", "P")
ROLES = ("national_admin", "province_operator", "regency_operator", "viewer")

CHECKS = {
    "volunteers": {"status": STATUSES, "training_level": LEVELS, "sex": SEXES},
    "status_history": {"old_status": STATUSES, "new_status": STATUSES},
    "operators": {"role": ROLES},
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # Batch mode: SQLite adds a CHECK only by rebuilding the table (alembic copies it);
    # PostgreSQL gets a plain ALTER TABLE ... ADD CONSTRAINT.
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                # op.f: the name is final (the naming convention must not prefix it again).
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _in(column, values))


def downgrade() -> None:
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
