"""plan-svc test fixtures: the app on real databases and broker, and tokens for its callers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.testing.services import running
from plan_svc.config import PlanSettings
from plan_svc.main import create_app


@pytest.fixture
def plan_settings(make_settings: Callable[..., Any]) -> PlanSettings:
    """plan-svc settings wired to this test's broker and database."""
    return make_settings(PlanSettings)


@pytest.fixture
async def plan_client(plan_settings: PlanSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running plan-svc."""
    async with running(create_app(plan_settings)) as client:
        yield client


@pytest.fixture
def auth(plan_settings: PlanSettings) -> Callable[..., dict[str, str]]:
    """Headers with a token for a caller: auth() is the city plan administrator, auth('school') a school."""
    issuer = issuer_from_settings(plan_settings)

    def _headers(kind: str = "city") -> dict[str, str]:
        roles = ("city", "plan_admin") if kind == "city" else (kind,)
        p = Principal(username=f"u-{kind}", unit_id=f"unit-{kind}", unit_kind=kind, roles=roles)
        return {"Authorization": f"Bearer {issuer.issue(p)}"}

    return _headers
