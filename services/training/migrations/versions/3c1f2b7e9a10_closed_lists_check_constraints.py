"""closed lists as CHECK constraints (levels, statuses, outcomes, cancel reasons)

The values are written out here, not imported from domain/enums.py: a migration states what
the schema was at its revision, whatever the code says later.

Revision ID: 3c1f2b7e9a10
Revises: 8cf7a4a67c2d
Create Date: 2026-12-03 14:10:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '3c1f2b7e9a10'
down_revision: str | None = '8cf7a4a67c2d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "('dasar', 'lanjutan', 'khusus')"
CHECKS: dict[str, dict[str, str]] = {
    'courses': {
        'level': f"level IN {LEVELS}",
        'prerequisite_level': f"prerequisite_level IN {LEVELS}",
    },
    'sessions': {
        'level': f"level IN {LEVELS}",
        'status': "status IN ('draft', 'open', 'in_progress', 'completed', 'cancelled')",
    },
    'enrolments': {
        'status': "status IN ('confirmed', 'waitlisted', 'cancelled')",
        'outcome': "outcome IN ('passed', 'failed')",
        'cancel_reason': (
            "cancel_reason IN ('withdrawn', 'operator', 'session_cancelled', "
            "'volunteer_inactive', 'volunteer_erased')"
        ),
    },
    'attendance': {
        'status': "status IN ('present', 'late', 'left_early', 'absent', 'excused')",
    },
    'certificates': {
        'level': f"level IN {LEVELS}",
        'status': "status IN ('valid', 'revoked', 'superseded')",
    },
}


def upgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column, condition in checks.items():
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}'), condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch_op:
            for column in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}'), type_='check')
