"""report_rebuilds: rebuild requests and their progress (the request travels as reports.rebuild_requested)

Revision ID: 0003_rebuilds
Revises: 0002_reports
Create Date: 2026-12-01 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0003_rebuilds'
down_revision: Union[str, Sequence[str], None] = '0002_reports'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('report_rebuilds',
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('plan_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('snapshot_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('parts_expected', sa.Integer(), nullable=True),
    sa.Column('parts_received', sa.Integer(), nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('pruned', sa.Integer(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('request_id')
    )
    with op.batch_alter_table('report_rebuilds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_rebuilds_requested_at'), ['requested_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('report_rebuilds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_rebuilds_requested_at'))
    op.drop_table('report_rebuilds')
