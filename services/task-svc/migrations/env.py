"""Alembic environment of task-svc."""

import task_svc.auth.models
import task_svc.directory.models
import task_svc.evidence.models
import task_svc.tasks.models  # noqa: F401
from duban_shared.migrations import run_env
from task_svc.base import TaskSvcModel

run_env(TaskSvcModel.metadata)
