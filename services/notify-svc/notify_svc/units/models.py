"""The local copy of org units (task-svc owns the directory), from the shared directory helper."""

from __future__ import annotations

from duban_shared.directory import UnitColumns
from notify_svc.base import NotifySvcModel


class Unit(NotifySvcModel, UnitColumns, table=True):
    """An org unit as last announced by task-svc, with its contacts (email, leader)."""

    __tablename__ = "units"
