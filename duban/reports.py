"""`duban reports rebuild|check` and `duban tasks resnapshot`: HTTP calls to report-svc and task-svc."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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


async def request_rebuild(*, report: httpx.AsyncClient, plan_id: str | None, headers: dict[str, str]) -> dict[str, Any]:
    """POST /api/reports/rebuild: 202 with the request id (task-svc is asked by event, not waited for)."""
    return _raise_for(await report.post("/api/reports/rebuild", json={"plan_id": plan_id}, headers=headers))


async def wait_rebuild(*, report: httpx.AsyncClient, request_id: str, headers: dict[str, str], timeout: float = 600.0,
                       interval: float = 0.5, on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Poll the rebuild until it is finished (its last part applied); RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        status = _raise_for(await report.get(f"/api/reports/rebuild/{request_id}", headers=headers))
        if on_progress is not None:
            on_progress(status)
        if status["status"] == "finished":
            return status
        if time.monotonic() >= deadline:
            raise RuntimeError(f"重建 {request_id} 在 {timeout:g} 秒内未完成（{status['status_text']}，已应用 {status['parts_received']}"
                               f"/{status['parts_expected'] or '?'} 批）：请查看 `duban status` 中 task-svc 的消费积压与死信")
        await asyncio.sleep(interval)


def describe(status: dict[str, Any]) -> str:
    """What a finished rebuild changed, in one line."""
    head = f"重建完成：快照 {status['snapshot_id']}，{status['tasks']} 个任务，{status['parts_received']} 批"
    if not (status["added"] or status["changed"] or status["pruned"]):
        return f"{head}；报表原本就与任务服务一致，没有改动"
    return f"{head}；补回 {status['added']} 个，更新 {status['changed']} 个，删除 {status['pruned']} 个（任务服务已没有）"
