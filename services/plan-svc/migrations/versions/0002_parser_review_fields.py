"""plan items keep the document's words and the parser's doubts; local directory copy

Revision ID: 0002_parser
Revises: 0001
Create Date: 2026-11-29 16:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0002_parser'
down_revision: Union[str, Sequence[str], None] = '0002_ops'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('plan_items') as batch:
        batch.add_column(sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch.add_column(sa.Column('deadline_text', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column('lead_unit_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('supporting_unit_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('unresolved_units', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch.add_column(sa.Column('reasons', sa.JSON(), nullable=False, server_default='[]'))
    op.create_table('directory_units',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_directory_units_kind'), 'directory_units', ['kind'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_directory_units_kind'), table_name='directory_units')
    op.drop_table('directory_units')
    with op.batch_alter_table('plan_items') as batch:
        for col in ('reasons', 'confidence', 'unresolved_units', 'supporting_unit_ids', 'lead_unit_ids', 'deadline_text', 'group'):
            batch.drop_column(col)
