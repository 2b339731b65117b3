"""Schemathesis against every service's OpenAPI schema, with valid tokens of each role: no 5xx, responses match.

`make test` runs a few examples per operation; `make fuzz` sets DUBAN_FUZZ_EXAMPLES higher.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from duban_shared.auth import Principal, issuer_from_settings
from duban_shared.testing.broker import free_port
from notify_svc.config import NotifySettings
from notify_svc.main import create_app as notify_app
from plan_svc.config import PlanSettings
from plan_svc.main import create_app as plan_app
from report_svc.config import ReportSettings
from report_svc.main import create_app as report_app
from task_svc.config import TaskSettings
from task_svc.main import create_app as task_app

EXAMPLES = int(os.environ.get("DUBAN_FUZZ_EXAMPLES", "3"))
SERVICES = {"task-svc": (TaskSettings, task_app), "plan-svc": (PlanSettings, plan_app),
            "notify-svc": (NotifySettings, notify_app), "report-svc": (ReportSettings, report_app)}
ROLES = {
    "admin": Principal(username="admin", unit_id=None, unit_kind="city", roles=("admin", "plan_admin", "city")),
    "city": Principal(username="city", unit_id="u-city", unit_kind="city", roles=("city", "plan_admin")),
    "district": Principal(username="d1", unit_id="u-d1", unit_kind="district", roles=("district", "operator", "reviewer", "leader")),
    "school": Principal(username="s1", unit_id="u-s1", unit_kind="school", roles=("school", "operator")),
}


class Server:
    """A service under uvicorn in a thread, so schemathesis can call it over HTTP."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "service did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.mark.parametrize("name", list(SERVICES))
def test_schema_fuzz_no_5xx_and_responses_match(name: str, make_settings, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("HTTP behaviour is backend-independent; one backend keeps the run short")
    cls, factory = SERVICES[name]
    _fuzz(factory, make_settings(cls, messaging_enabled=False))


def _fuzz(factory: Any, conf: Any) -> None:
    """Every operation with each role's token: no 5xx, and responses match the schema."""
    tokens = {role: {"Authorization": f"Bearer {issuer_from_settings(conf).issue(p)}"} for role, p in ROLES.items()}
    with Server(factory(conf)) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [r.ok() for r in schema.get_all_operations()]
        assert operations
        failures: list[str] = []
        for op in operations:

            @given(case=op.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                for role, headers in tokens.items():
                    response = case.call(base_url=url, headers=headers)
                    try:
                        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                    except Exception as exc:  # collect every operation's failure, then fail once
                        failures.append(f"{role} {case.operation.label}: {str(exc)[:300]}")
                        return

            run()
        assert not failures, "\n".join(failures[:20])
