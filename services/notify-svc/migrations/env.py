"""Alembic environment of notify-svc."""

import notify_svc.channels.models
import notify_svc.delivery.models
import notify_svc.notifications.models
import notify_svc.units.models  # noqa: F401
from duban_shared.migrations import run_env
from notify_svc.base import NotifySvcModel

run_env(NotifySvcModel.metadata)
