"""Alembic environment of report-svc."""

import report_svc.plans.models  # registers tables
import report_svc.rebuild.models
import report_svc.snapshots.models
import report_svc.stats.models
import report_svc.tasks.models
import report_svc.units.models  # noqa: F401
from duban_shared.migrations import run_env
from report_svc.base import ReportSvcModel

run_env(ReportSvcModel.metadata)
