"""plan-svc: plan documents in, structured and versioned plans out."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duban_shared.app import ConsumerSpec, ServiceSpec, build_app
from duban_shared.events.catalogue import DIRECTORY_TOPIC
from plan_svc.base import TABLES
from plan_svc.config import PlanSettings
from plan_svc.editing.router import router as editing_router
from plan_svc.imports.router import router as imports_router
from plan_svc.plans.router import router as plans_router
from plan_svc.revisions.router import router as revisions_router
from plan_svc.units import handlers as unit_handlers

SERVICE_DIR = Path(__file__).resolve().parents[1]


def create_app(settings: PlanSettings | None = None) -> FastAPI:
    """Build the plan-svc app."""
    settings = settings or PlanSettings()
    spec = ServiceSpec(
        name="plan-svc",
        title="duban plan-svc",
        service_dir=SERVICE_DIR,
        tables=TABLES,
        routers=[imports_router, plans_router, editing_router, revisions_router],
        body_limits={"/api/plans/import": 21 * 1024 * 1024},
        consumers=[ConsumerSpec("directory", [DIRECTORY_TOPIC], [unit_handlers.router])],
    )
    return build_app(spec, settings)
