"""People within a unit: 经办人 (operator) does the unit's work, 审核人 (reviewer) acts as the issuing level."""

from __future__ import annotations

from typing import Any

from duban_shared.auth import Principal
from duban_shared.testing.services import bearer


def person(org: Any, code: str, kind: str, *roles: str) -> dict[str, str]:
    """A bearer header for an invited person of that unit holding only these person roles."""
    token = org.app.state.issuer.issue(Principal(username=f"{code}-{'-'.join(roles)}", unit_id=org.units[code], unit_kind=kind,
                                                 roles=(kind, *roles), display_name="张三"))
    return bearer(token)


async def test_only_an_operator_does_the_units_work(org) -> None:  # type: ignore[no-untyped-def]
    reviewer = person(org, "school-x1", "school", "reviewer", "leader")
    r = await org.client.post("/api/tasks/t-x1/acknowledge", headers=reviewer)
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_required" and "经办人" in r.json()["error"]["message"]
    assert await org.scalar("SELECT status FROM tasks WHERE id = 't-x1'") == "assigned"
    operator = person(org, "school-x1", "school", "operator")
    r = await org.client.post("/api/tasks/t-x1/acknowledge", headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    timeline = r.json()["timeline"]
    assert timeline[-1]["actor"] == "school-x1-operator"


async def test_only_a_reviewer_approves_or_returns_as_the_issuing_level(org) -> None:  # type: ignore[no-untyped-def]
    school = person(org, "school-x1", "school", "operator")
    for action, body in (("acknowledge", None), ("submit", {"summary": "完成"})):
        assert (await org.client.post(f"/api/tasks/t-x1/{action}", headers=school, json=body)).status_code == 200
    operator = person(org, "dist-x", "district", "operator")
    r = await org.client.post("/api/tasks/t-x1/approve", headers=operator, json={})
    assert r.status_code == 403 and "审核人" in r.json()["error"]["message"]
    assert await org.scalar("SELECT status FROM tasks WHERE id = 't-x1'") == "submitted"
    reviewer = person(org, "dist-x", "district", "reviewer")
    r = await org.client.post("/api/tasks/t-x1/return", headers=reviewer, json={"reason": "材料不全"})
    assert r.status_code == 200 and r.json()["status"] == "returned"
    # A unit account (no person roles, as before people existed) still acts for the whole unit.
    assert (await org.call("dist-x", "POST", "/api/tasks/t-x/acknowledge")).status_code == 200
