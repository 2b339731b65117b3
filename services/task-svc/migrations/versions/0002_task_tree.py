"""task tree: root_id, origin, late_joined, co-owners

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('root_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('late_joined', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_tasks_root_id'), ['root_id'], unique=False)
    op.create_table('task_co_owners',
    sa.Column('task_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('unit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.PrimaryKeyConstraint('task_id', 'unit_id')
    )
    with op.batch_alter_table('task_co_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_co_owners_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('task_co_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_co_owners_unit_id'))
    op.drop_table('task_co_owners')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_root_id'))
        batch_op.drop_column('late_joined')
        batch_op.drop_column('origin')
        batch_op.drop_column('root_id')
