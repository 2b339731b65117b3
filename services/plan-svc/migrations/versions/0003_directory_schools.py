"""plan-svc's directory copy keeps schools with their type (for the revision preview's counts)

Revision ID: 0003_dir_schools
Revises: 0002_parser
Create Date: 2026-11-30 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0003_dir_schools'
down_revision: Union[str, Sequence[str], None] = '0002_parser'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('directory_units') as batch:
        batch.add_column(sa.Column('school_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('directory_units') as batch:
        batch.drop_column('school_type')
