"""operator accounts: passwords, login sessions, revocations

Revision ID: d5a1e0c3f7b2
Revises: b7e2c9d4f1a6
Create Date: 2026-12-03 15:50:00.000000

Existing operators get no password (NULL): they cannot log in until one is set
(`python -m tools.cli registry operators password <email>`).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd5a1e0c3f7b2'
down_revision: str | None = 'b7e2c9d4f1a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The list as of this revision (domain/enums.py RevocationReason), spelled out: a later
# change of the list needs its own migration.
REASONS = (
    "disabled",
    "scope_changed",
    "role_changed",
    "logout",
    "refresh_reuse",
    "password_changed",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Operators' password columns; login sessions, refresh tokens, token revocations."""
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True)
        )

    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('operator_id', sa.Uuid(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            _in('end_reason', REASONS), name=op.f('ck_login_sessions_end_reason')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    )
    op.create_index(
        op.f('ix_login_sessions_operator_id'), 'login_sessions', ['operator_id'], unique=False
    )

    op.create_table(
        'refresh_tokens',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('spent_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_refresh_tokens')),
    )
    op.create_index(
        op.f('ix_refresh_tokens_session_id'), 'refresh_tokens', ['session_id'], unique=False
    )

    op.create_table(
        'token_revocations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('session', sa.String(length=36), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.CheckConstraint(_in('reason', REASONS), name=op.f('ck_token_revocations_reason')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_token_revocations')),
    )
    op.create_index(
        op.f('ix_token_revocations_subject'), 'token_revocations', ['subject'], unique=False
    )
    op.create_index(op.f('ix_token_revocations_at'), 'token_revocations', ['at'], unique=False)


def downgrade() -> None:
    """Drop the three tables and the password columns (every password is lost)."""
    op.drop_index(op.f('ix_token_revocations_at'), table_name='token_revocations')
    op.drop_index(op.f('ix_token_revocations_subject'), table_name='token_revocations')
    op.drop_table('token_revocations')
    op.drop_index(op.f('ix_refresh_tokens_session_id'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_login_sessions_operator_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
    with op.batch_alter_table('operators', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('password_hash')
