"""Alembic environment of plan-svc."""

import plan_svc.plans.models
import plan_svc.units.models  # noqa: F401
from duban_shared.migrations import run_env
from plan_svc.base import PlanSvcModel

run_env(PlanSvcModel.metadata)
