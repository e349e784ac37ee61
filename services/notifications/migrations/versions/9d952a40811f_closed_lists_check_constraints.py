"""closed lists as CHECK constraints (statuses, channels, outcomes, kinds, categories)

The values are written out here, not imported from domain/enums.py: a migration states what
the schema was at its revision, whatever the code says later.

Revision ID: 9d952a40811f
Revises: 5d016a245840
Create Date: 2026-12-03 13:40:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '9d952a40811f'
down_revision: str | None = '5d016a245840'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.create_check_constraint(op.f('ck_notifications_status'), "status IN ('pending', 'sending', 'sent', 'failed', 'deferred', 'retry', 'suppressed', 'cancelled')")
        batch_op.create_check_constraint(op.f('ck_notifications_recipient_kind'), "recipient_kind IN ('volunteer', 'operator')")
        batch_op.create_check_constraint(op.f('ck_notifications_category'), "category IN ('account', 'training', 'critical', 'reminder', 'digest', 'broadcast')")
        batch_op.create_check_constraint(op.f('ck_notifications_channel'), "channel IN ('', 'whatsapp', 'sms', 'email')")
    with op.batch_alter_table('delivery_attempts') as batch_op:
        batch_op.create_check_constraint(op.f('ck_delivery_attempts_channel'), "channel IN ('whatsapp', 'sms', 'email')")
        batch_op.create_check_constraint(op.f('ck_delivery_attempts_outcome'), "outcome IN ('sent', 'transient', 'permanent')")
    with op.batch_alter_table('opt_outs') as batch_op:
        batch_op.create_check_constraint(op.f('ck_opt_outs_category'), "category IN ('*', 'account', 'training', 'reminder', 'digest', 'broadcast')")
        batch_op.create_check_constraint(op.f('ck_opt_outs_channel'), "channel IN ('*', 'whatsapp', 'sms', 'email')")
    with op.batch_alter_table('sessions') as batch_op:
        batch_op.create_check_constraint(op.f('ck_sessions_status'), "status IN ('scheduled', 'cancelled', 'completed')")
    with op.batch_alter_table('enrolments') as batch_op:
        batch_op.create_check_constraint(op.f('ck_enrolments_status'), "status IN ('confirmed', 'waitlisted', 'cancelled')")
    with op.batch_alter_table('scheduled_messages') as batch_op:
        batch_op.create_check_constraint(op.f('ck_scheduled_messages_kind'), "kind IN ('session-reminder', 'operator-digest')")
        batch_op.create_check_constraint(op.f('ck_scheduled_messages_status'), "status IN ('pending', 'done', 'cancelled')")


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_recipient_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_category'), type_='check')
        batch_op.drop_constraint(op.f('ck_notifications_channel'), type_='check')
    with op.batch_alter_table('delivery_attempts') as batch_op:
        batch_op.drop_constraint(op.f('ck_delivery_attempts_channel'), type_='check')
        batch_op.drop_constraint(op.f('ck_delivery_attempts_outcome'), type_='check')
    with op.batch_alter_table('opt_outs') as batch_op:
        batch_op.drop_constraint(op.f('ck_opt_outs_category'), type_='check')
        batch_op.drop_constraint(op.f('ck_opt_outs_channel'), type_='check')
    with op.batch_alter_table('sessions') as batch_op:
        batch_op.drop_constraint(op.f('ck_sessions_status'), type_='check')
    with op.batch_alter_table('enrolments') as batch_op:
        batch_op.drop_constraint(op.f('ck_enrolments_status'), type_='check')
    with op.batch_alter_table('scheduled_messages') as batch_op:
        batch_op.drop_constraint(op.f('ck_scheduled_messages_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_scheduled_messages_status'), type_='check')
