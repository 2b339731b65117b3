"""dispatch: unit contacts and enrolment, breakdown jobs, dispatched items

Revision ID: 0003_dispatch
Revises: 0002
Create Date: 2026-11-29 16:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0003_dispatch'
down_revision: Union[str, Sequence[str], None] = '0003_lifecycle'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('email', S(length=254), nullable=True))
        batch_op.add_column(sa.Column('leader_name', S(length=64), nullable=True))
        batch_op.add_column(sa.Column('leader_email', S(length=254), nullable=True))
    op.create_table('breakdown_jobs',
    sa.Column('id', S(length=36), nullable=False),
    sa.Column('plan_id', S(length=36), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=False),
    sa.Column('kind', S(length=16), nullable=False),
    sa.Column('payload', S(), nullable=False),
    sa.Column('correlation_id', S(length=64), nullable=True),
    sa.Column('causation_id', S(length=36), nullable=True),
    sa.Column('status', S(length=16), nullable=False),
    sa.Column('next_item', sa.Integer(), nullable=False),
    sa.Column('total_items', sa.Integer(), nullable=False),
    sa.Column('batches', sa.Integer(), nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('counts', S(), nullable=False),
    sa.Column('warnings', S(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('breakdown_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breakdown_jobs_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breakdown_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_breakdown_jobs_created_at'), ['created_at'], unique=False)
    op.create_table('dispatch_items',
    sa.Column('plan_id', S(length=36), nullable=False),
    sa.Column('item_id', S(length=36), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=False),
    sa.Column('snapshot', S(), nullable=False),
    sa.Column('default_deadline', sa.Date(), nullable=True),
    sa.Column('actor', S(length=64), nullable=True),
    sa.Column('removed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', 'item_id')
    )
    # The breakdown reads an item's tasks by (plan, item); the tree by parent.
    op.create_index('ix_tasks_plan_item', 'tasks', ['plan_id', 'item_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_tasks_plan_item', table_name='tasks')
    op.drop_table('dispatch_items')
    with op.batch_alter_table('breakdown_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breakdown_jobs_created_at'))
        batch_op.drop_index(batch_op.f('ix_breakdown_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_breakdown_jobs_plan_id'))
    op.drop_table('breakdown_jobs')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('leader_email')
        batch_op.drop_column('leader_name')
        batch_op.drop_column('email')
        batch_op.drop_column('enrolment')
