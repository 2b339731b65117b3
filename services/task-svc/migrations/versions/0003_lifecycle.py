"""lifecycle: warning level, reports, extensions, reminders, evidence, list indexes

Revision ID: 0003_lifecycle
Revises: 0002
Create Date: 2026-11-29 16:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0003_lifecycle'
down_revision: Union[str, Sequence[str], None] = '0002_security'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

S = sqlmodel.sql.sqltypes.AutoString
TZ = sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warning', S(length=8), nullable=False, server_default='green'))
        batch_op.add_column(sa.Column('reassigned_to', S(length=36), nullable=True))
        batch_op.add_column(sa.Column('indicator_values', S(), nullable=False, server_default='[]'))
        batch_op.create_index(batch_op.f('ix_tasks_warning'), ['warning'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_issuer_unit_id'), ['issuer_unit_id'], unique=False)
        # Lists: a unit's tasks by due date, a tree's tasks by due date, the scheduler's scan.
        batch_op.create_index('ix_tasks_unit_due', ['unit_id', 'due_date', 'id'], unique=False)
        batch_op.create_index('ix_tasks_root_due', ['root_id', 'due_date', 'id'], unique=False)
        batch_op.create_index('ix_tasks_plan_due', ['plan_id', 'due_date', 'id'], unique=False)
        batch_op.create_index('ix_tasks_due_warning', ['due_date', 'warning'], unique=False)
    with op.batch_alter_table('task_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', S(length=128), nullable=True))
        batch_op.add_column(sa.Column('actor_unit_id', S(length=36), nullable=True))
        batch_op.add_column(sa.Column('attachments', S(), nullable=False, server_default='[]'))
    op.create_table('task_reports',
    sa.Column('id', S(length=36), nullable=False),
    sa.Column('task_id', S(length=36), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('note', S(), nullable=False),
    sa.Column('indicator_values', S(), nullable=False),
    sa.Column('evidence_ids', S(), nullable=False),
    sa.Column('actor', S(length=64), nullable=True),
    sa.Column('actor_name', S(length=128), nullable=True),
    sa.Column('actor_unit_id', S(length=36), nullable=True),
    sa.Column('at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_reports_task_id', 'task_reports', ['task_id'], unique=False)
    op.create_table('task_extensions',
    sa.Column('id', S(length=36), nullable=False),
    sa.Column('task_id', S(length=36), nullable=False),
    sa.Column('requested_due', sa.Date(), nullable=False),
    sa.Column('previous_due', sa.Date(), nullable=True),
    sa.Column('reason', S(), nullable=False),
    sa.Column('status', S(length=16), nullable=False),
    sa.Column('requested_by', S(length=64), nullable=True),
    sa.Column('requested_unit_id', S(length=36), nullable=True),
    sa.Column('decided_by', S(length=64), nullable=True),
    sa.Column('decision_note', S(), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.Column('decided_at', TZ, nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_extensions_task_id', 'task_extensions', ['task_id'], unique=False)
    op.create_table('task_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', S(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('message', S(), nullable=False),
    sa.Column('actor', S(length=64), nullable=True),
    sa.Column('actor_unit_id', S(length=36), nullable=True),
    sa.Column('at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_task_reminders_task_id', 'task_reminders', ['task_id'], unique=False)
    op.create_index('ix_task_reminders_day', 'task_reminders', ['day'], unique=False)
    op.create_table('evidence_files',
    sa.Column('id', S(length=36), nullable=False),
    sa.Column('task_id', S(length=36), nullable=False),
    sa.Column('name', S(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', S(length=128), nullable=False),
    sa.Column('sha256', S(length=64), nullable=False),
    sa.Column('storage', S(length=16), nullable=False),
    sa.Column('uploader', S(length=64), nullable=True),
    sa.Column('uploader_name', S(length=128), nullable=True),
    sa.Column('uploader_unit_id', S(length=36), nullable=True),
    sa.Column('report_id', S(length=36), nullable=True),
    sa.Column('created_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_evidence_files_task_id', 'evidence_files', ['task_id'], unique=False)
    op.create_table('evidence_blobs',
    sa.Column('file_id', S(length=36), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('file_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('evidence_blobs')
    op.drop_index('ix_evidence_files_task_id', table_name='evidence_files')
    op.drop_table('evidence_files')
    op.drop_index('ix_task_reminders_day', table_name='task_reminders')
    op.drop_index('ix_task_reminders_task_id', table_name='task_reminders')
    op.drop_table('task_reminders')
    op.drop_index('ix_task_extensions_task_id', table_name='task_extensions')
    op.drop_table('task_extensions')
    op.drop_index('ix_task_reports_task_id', table_name='task_reports')
    op.drop_table('task_reports')
    with op.batch_alter_table('task_entries', schema=None) as batch_op:
        batch_op.drop_column('attachments')
        batch_op.drop_column('actor_unit_id')
        batch_op.drop_column('actor_name')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_due_warning')
        batch_op.drop_index('ix_tasks_plan_due')
        batch_op.drop_index('ix_tasks_root_due')
        batch_op.drop_index('ix_tasks_unit_due')
        batch_op.drop_index(batch_op.f('ix_tasks_issuer_unit_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_warning'))
        batch_op.drop_column('indicator_values')
        batch_op.drop_column('reassigned_to')
        batch_op.drop_column('warning')
