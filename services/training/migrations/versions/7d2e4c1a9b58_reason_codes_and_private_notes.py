"""reason codes for cancelled sessions and revoked certificates; what people typed in notes

A session's `cancel_reason` and a certificate's `revoked_reason` were free text, and were
published as such. They become a code from a closed list (`cancel_reason_code`,
`revoked_reason_code`, CHECK constraints) and an optional private note (`cancel_note`,
`revoked_note`) that never leaves training. Rows written before this revision keep their
text as the note, with the code `other`. Events still waiting in the outbox are rewritten the
same way (v2, `reason_code: other`, no text), so nothing typed reaches the topics after this
revision. The lists are written out here, not imported from the code: a migration states
what the schema was at its revision.

Revision ID: 7d2e4c1a9b58
Revises: 3c1f2b7e9a10
Create Date: 2026-12-10 09:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e4c1a9b58"
down_revision: str | None = "3c1f2b7e9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_CODES = (
    "('venue_unavailable', 'trainer_unavailable', 'too_few_participants', "
    "'disaster_or_emergency', 'budget', 'rescheduled', 'other')"
)
REVOKE_CODES = (
    "('issued_in_error', 'attendance_falsified', 'test_result_falsified', "
    "'identity_mismatch', 'duplicate', 'other')"
)
# table, old free-text column, new code column, new note column, the code list
CHANGES = (
    ("sessions", "cancel_reason", "cancel_reason_code", "cancel_note", SESSION_CODES),
    ("certificates", "revoked_reason", "revoked_reason_code", "revoked_note", REVOKE_CODES),
)


# event types whose free-text `reason` became `reason_code` in their version 2
REASON_EVENTS = ('session-cancelled', 'certificate-revoked')
outbox = sa.table(
    'outbox',
    sa.column('id', sa.Integer),
    sa.column('event_type', sa.String),
    sa.column('schema_version', sa.Integer),
    sa.column('payload', sa.Text),
    sa.column('published_at', sa.DateTime(timezone=True)),
)


def _rewrite_pending_events() -> None:
    conn = op.get_bind()
    pending = conn.execute(
        sa.select(outbox.c.id, outbox.c.payload)
        .where(outbox.c.published_at.is_(None))
        .where(outbox.c.event_type.in_(REASON_EVENTS))
        .where(outbox.c.schema_version == 1)
    )
    for row_id, payload in pending.all():
        event = json.loads(payload)
        event.pop('reason', None)
        event['reason_code'] = 'other'
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == row_id)
            .values(payload=json.dumps(event), schema_version=2)
        )


def upgrade() -> None:
    _rewrite_pending_events()
    for table, old, code, note, codes in CHANGES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(code, sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column(note, sa.String(length=500), nullable=True))
        op.execute(f"UPDATE {table} SET {code} = 'other', {note} = {old} WHERE {old} IS NOT NULL")
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(old)
            batch_op.create_check_constraint(op.f(f"ck_{table}_{code}"), f"{code} IN {codes}")


def downgrade() -> None:
    for table, old, code, note, _ in CHANGES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(old, sa.String(length=500), nullable=True))
        op.execute(f"UPDATE {table} SET {old} = COALESCE({note}, {code})")  # noqa: S608
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{code}"), type_="check")
            batch_op.drop_column(note)
            batch_op.drop_column(code)
