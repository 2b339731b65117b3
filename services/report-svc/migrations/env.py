"""Alembic environment of report-svc."""

import report_svc.plans.models  # noqa: F401  (registers tables)
import report_svc.tasks.models  # noqa: F401
import report_svc.units.models  # noqa: F401
from duban_shared.migrations import run_env
from report_svc.base import ReportSvcModel

run_env(ReportSvcModel.metadata)
