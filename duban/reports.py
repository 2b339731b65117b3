"""`duban reports rebuild|check` and `duban tasks resnapshot`: HTTP calls to report-svc and task-svc."""

from __future__ import annotations

from typing import Any

import httpx

Key = tuple[str | None, str, str]


def _rows(body: dict[str, Any]) -> dict[Key, int]:
    return {(r["district_id"], r["level"], r["status"]): int(r["count"]) for r in body["rows"]}


def differences(task_counts: dict[str, Any], report_counts: dict[str, Any]) -> list[dict[str, Any]]:
    """Every (district, level, status) whose count differs between task-svc and report-svc."""
    ours, theirs = _rows(task_counts), _rows(report_counts)
    out = []
    for key in sorted(ours.keys() | theirs.keys(), key=lambda k: (k[0] or "", k[1], k[2])):
        a, b = ours.get(key, 0), theirs.get(key, 0)
        if a != b:
            out.append({"district_id": key[0], "level": key[1], "status": key[2], "task_svc": a, "report_svc": b})
    return out


def _raise_for(r: httpx.Response) -> dict[str, Any]:
    if r.status_code >= 400:
        try:
            message = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = r.text[:200]
        raise RuntimeError(f"{r.request.method} {r.request.url.path} → {r.status_code}: {message}")
    return r.json()


async def check(*, task: httpx.AsyncClient, report: httpx.AsyncClient, plan_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Fetch both sides' counts of one plan and list every difference (empty: they agree)."""
    ours = _raise_for(await task.get("/api/tasks/counts", params={"plan_id": plan_id}, headers=headers))
    theirs = _raise_for(await report.get(f"/api/reports/plans/{plan_id}/counts", headers=headers))
    return differences(ours, theirs)


async def post(*, url: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """POST JSON and return the JSON answer (an error becomes RuntimeError with the service's message)."""
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        return _raise_for(await client.post(path, json=body, headers=headers))


async def check_url(*, task_url: str, report_url: str, plan_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """check() over real URLs (the gateway serves both by default)."""
    async with httpx.AsyncClient(base_url=task_url, timeout=60) as t, httpx.AsyncClient(base_url=report_url, timeout=60) as r:
        return await check(task=t, report=r, plan_id=plan_id, headers=headers)
