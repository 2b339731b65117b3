"""Consumed events: unit.upserted keeps the local directory copy (the shared projection helper)."""

from __future__ import annotations

from duban_shared.directory import directory_router
from notify_svc.units.models import Unit

router = directory_router(Unit)
