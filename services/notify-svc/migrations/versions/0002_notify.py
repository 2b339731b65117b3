"""notify: delivery, channels, digests, directory contacts

Revision ID: 0002_notify
Revises: 0001
Create Date: 2026-11-29 16:32:29.250241

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0002_notify'
down_revision: Union[str, Sequence[str], None] = '0002_ops'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('channel_configs',
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.PrimaryKeyConstraint('unit_id', 'channel')
    )
    op.create_table('deliveries',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('notification_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('held_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_deliveries_notification', ['notification_id'], unique=False)

    op.create_table('quiet_hours',
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('start', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('end', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('repeat_count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_event_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('task_refs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('plan_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_index('ix_task_refs_plan_digest', ['plan_id', 'digest_id', 'unit_id'], unique=False)
    # Tasks known before digests were each notified on their own already: no digest lists them again.
    op.execute("UPDATE task_refs SET digest_id = 'before-0002'")

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.add_column(sa.Column('leader_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('leader_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('leader_email')
        batch_op.drop_column('leader_name')
        batch_op.drop_column('email')
        batch_op.drop_column('enrolment')

    with op.batch_alter_table('task_refs', schema=None) as batch_op:
        batch_op.drop_index('ix_task_refs_plan_digest')
        batch_op.drop_column('digest_id')
        batch_op.drop_column('plan_version')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('level')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('last_event_id')
        batch_op.drop_column('repeat_count')
        batch_op.drop_column('urgent')

    op.drop_table('quiet_hours')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_notification')
        batch_op.drop_index('ix_deliveries_due')

    op.drop_table('deliveries')
    op.drop_table('channel_configs')
