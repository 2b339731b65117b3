"""Who may see which rows: city staff see everything, a district bureau its own district and schools."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select

from duban_shared.auth import Principal
from duban_shared.errors import forbidden
from report_svc.tasks.models import ReportTask
from report_svc.units.models import Unit


@dataclass(frozen=True)
class Scope:
    """The rows a caller may see: all of them (district_id None) or one district's."""

    district_id: str | None = None

    @property
    def everything(self) -> bool:
        """True for city staff."""
        return self.district_id is None

    def tasks_clause(self) -> sa.ColumnElement[bool]:
        """A WHERE clause on ReportTask limiting rows to the scope."""
        d = self.district_id
        if d is None:
            return sa.true()
        schools = select(Unit.id).where(Unit.parent_id == d)
        return sa.or_(
            ReportTask.unit_id == d,
            ReportTask.unit_id.in_(schools),  # type: ignore[attr-defined]
            # A school unknown to the local directory yet still belongs to the district that issued its task.
            sa.and_(ReportTask.level == "school", ReportTask.issuer_unit_id == d),
        )


def scope_for(user: Principal) -> Scope:
    """The caller's scope; 403 for anyone who is neither city staff nor a district bureau."""
    if user.is_admin or user.has("city"):
        return Scope()
    if user.unit_id and (user.has("district") or user.unit_kind == "district"):
        return Scope(district_id=user.unit_id)
    raise forbidden("只有市教育局和区县教育局可以查看统计报表")
