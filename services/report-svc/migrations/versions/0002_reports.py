"""reports: task tree columns, stats, snapshots

Revision ID: 0002_reports
Revises: 0002_ops
Create Date: 2026-11-29 16:32:25.680955

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0002_reports'
down_revision: Union[str, Sequence[str], None] = '0002_ops'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('plan_stats',
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('acknowledged_now', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('submitted_now', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('declined', sa.Integer(), nullable=False),
    sa.Column('withdrawn', sa.Integer(), nullable=False),
    sa.Column('reassigned', sa.Integer(), nullable=False),
    sa.Column('acknowledged', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('median_ack_seconds', sa.Float(), nullable=True),
    sa.Column('median_submit_seconds', sa.Float(), nullable=True),
    sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('part', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('dim', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', 'part', 'dim', 'key')
    )
    op.create_table('plan_summary_docs',
    sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('part', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', 'part')
    )
    op.create_table('plan_stats_state',
    sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('dirty_gen', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id')
    )
    op.create_table('report_snapshots',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('taken_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('indicators', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_snapshots_plan_id'), ['plan_id'], unique=False)

    op.create_table('snapshot_stats',
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('acknowledged_now', sa.Integer(), nullable=False),
    sa.Column('in_progress', sa.Integer(), nullable=False),
    sa.Column('submitted_now', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('declined', sa.Integer(), nullable=False),
    sa.Column('withdrawn', sa.Integer(), nullable=False),
    sa.Column('reassigned', sa.Integer(), nullable=False),
    sa.Column('acknowledged', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('median_ack_seconds', sa.Float(), nullable=True),
    sa.Column('median_submit_seconds', sa.Float(), nullable=True),
    sa.Column('snapshot_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('part', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('dim', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('snapshot_id', 'part', 'dim', 'key')
    )
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('numerator', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('denominator', sa.Float(), nullable=True))

    with op.batch_alter_table('plan_indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default='count'))

    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section_title', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('org_key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('warning', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default='green'))
        batch_op.add_column(sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('last_report_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_report_note', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('snapshot_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_parent_id'), ['parent_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment', sa.Integer(), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('enrolment')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_parent_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_district_id'))
        batch_op.drop_column('snapshot_id')
        batch_op.drop_column('last_report_note')
        batch_op.drop_column('last_report_at')
        batch_op.drop_column('origin')
        batch_op.drop_column('warning')
        batch_op.drop_column('completed_on')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('org_key')
        batch_op.drop_column('district_id')

    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_column('section_title')

    with op.batch_alter_table('plan_indicators', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_column('denominator')
        batch_op.drop_column('numerator')
        batch_op.drop_column('unit_id')

    op.drop_table('snapshot_stats')
    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_snapshots_plan_id'))

    op.drop_table('report_snapshots')
    op.drop_table('plan_stats_state')
    op.drop_table('plan_summary_docs')
    op.drop_table('plan_stats')
