"""board: precomputed board lines on tasks, each unit's part of them, indexes in org-tree order

Revision ID: 0004_board
Revises: 0003_rebuilds
Create Date: 2026-12-02 10:00:00

"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0004_board'
down_revision: Union[str, Sequence[str], None] = '0003_rebuilds'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        # Left empty here: report-svc renders missing lines at read and stores them at the plan's next recompute.
        batch_op.add_column(sa.Column('board_line', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_json', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    conn = op.get_bind()
    units = conn.execute(sa.text("SELECT id, code, name FROM units")).all()
    if units:
        conn.execute(sa.text("UPDATE units SET board_json = :j WHERE id = :id"), [
            {"id": u.id, "j": json.dumps({"code": u.code, "name": u.name}, ensure_ascii=False, separators=(",", ":"))[1:-1]} for u in units])
    # The board reads one item's (or one parent task's) rows in org-tree order: byte order, COLLATE "C" on PostgreSQL.
    org_key = 'org_key COLLATE "C"' if conn.dialect.name == "postgresql" else "org_key"
    op.execute(f"CREATE INDEX ix_tasks_board_item ON tasks (plan_id, item_id, {org_key}, id)")
    op.execute(f"CREATE INDEX ix_tasks_board_parent ON tasks (plan_id, parent_id, {org_key}, id)")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DROP INDEX ix_tasks_board_parent")
    op.execute("DROP INDEX ix_tasks_board_item")
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('board_json')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('board_line')
