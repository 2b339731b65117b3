"""Who may see which figures: the city everything, a district bureau its district and schools, a unit its own."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from duban_shared.auth import Principal
from duban_shared.errors import forbidden
from report_svc.tasks.models import ReportTask


@dataclass(frozen=True)
class Scope:
    """The rows a caller may see: everything, one district (its bureau and schools) or one unit's own tasks."""

    kind: str = "city"  # city | district | unit
    unit_id: str | None = None

    @property
    def everything(self) -> bool:
        """True for city staff looking at the whole city."""
        return self.kind == "city"

    @property
    def district_id(self) -> str | None:
        """The district of a district scope."""
        return self.unit_id if self.kind == "district" else None

    @property
    def part(self) -> str | None:
        """The precomputed partition answering this scope ('' the city, a district id), None when computed live."""
        return "" if self.kind == "city" else self.unit_id if self.kind == "district" else None

    def tasks_clause(self) -> sa.ColumnElement[bool]:
        """A WHERE clause on ReportTask limiting rows to the scope."""
        if self.kind == "city":
            return sa.true()
        if self.kind == "district":
            return ReportTask.district_id == self.unit_id  # type: ignore[return-value]
        return ReportTask.unit_id == self.unit_id  # type: ignore[return-value]


def scope_for(user: Principal, district_id: str | None = None) -> Scope:
    """The caller's scope, narrowed to `district_id` when asked; 403 for figures outside what the caller may see."""
    if user.is_admin or user.has("city") or user.has("plan_admin"):
        return Scope("district", district_id) if district_id else Scope()
    if user.unit_id and (user.has("district") or user.unit_kind == "district"):
        if district_id and district_id != user.unit_id:
            raise forbidden("区县教育局只能查看本区县及所属学校的统计")
        return Scope("district", user.unit_id)
    if user.unit_id and (user.has("school") or user.has("department") or user.unit_kind in ("school", "department")):
        if district_id:
            raise forbidden("只能查看本单位的统计")
        return Scope("unit", user.unit_id)
    raise forbidden("没有查看统计报表的权限")
