"""What each task event says, to whom: kind, recipient, title and body in Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from duban_shared.events.catalogue import (
    TaskApproved,
    TaskCreated,
    TaskDeclined,
    TaskDueChanged,
    TaskEvent,
    TaskReminded,
    TaskReturned,
    TaskSubmitted,
)
from notify_svc.notifications.models import TaskRef


@dataclass(frozen=True)
class Message:
    """One notification to write."""

    kind: str
    unit_id: str
    title: str
    body: str


def _due(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "未设定"


def compose(event: TaskEvent, ref: TaskRef | None, names: dict[str, str]) -> Message | None:
    """The notification an event causes, or None when it has no recipient."""
    title = getattr(event, "title", "") or (ref.title if ref else "") or "一项任务"
    due = event.due_date if isinstance(event, TaskCreated | TaskDueChanged) else (ref.due_date if ref else None)
    issuer = names.get(event.issuer_unit_id or "", "上级单位")
    unit = names.get(event.unit_id, "承办单位")
    match event:
        case TaskCreated():
            return Message("task_assigned", event.unit_id, f"新任务：{title}",
                           f"{issuer}交办任务“{title}”，截止日期：{_due(due)}。请及时签收并按期办理。")
        case TaskReminded():
            said = f"催办意见：{event.message}" if event.message else "请抓紧办理。"
            return Message("task_reminded", event.unit_id, f"催办：{title}",
                           f"{issuer}催办任务“{title}”（截止日期：{_due(due)}）。{said}")
        case TaskReturned():
            return Message("task_returned", event.unit_id, f"任务被退回：{title}",
                           f"{issuer}退回了任务“{title}”，退回原因：{event.reason}。请修改后重新提交。")
        case TaskSubmitted():
            if not event.issuer_unit_id:
                return None
            summary = f"办理情况：{event.summary}" if event.summary else "请审核。"
            return Message("task_submitted", event.issuer_unit_id, f"待审核：{title}",
                           f"{unit}已提交任务“{title}”。{summary}")
        case TaskApproved():
            return Message("task_approved", event.unit_id, f"任务已办结：{title}",
                           f"{issuer}已审核通过任务“{title}”，任务办结。")
        case TaskDueChanged():
            return Message("task_updated", event.unit_id, f"任务变更：{title}",
                           f"任务“{title}”已随计划修订调整，截止日期：{_due(due)}。")
        case TaskDeclined():
            why = f"原因：{event.reason}" if event.reason else "无需继续办理。"
            return Message("task_declined", event.unit_id, f"任务已撤销：{title}", f"任务“{title}”已撤销。{why}")
    return None


NOTIFYING_EVENTS: tuple[type[TaskEvent], ...] = (
    TaskCreated, TaskReminded, TaskReturned, TaskSubmitted, TaskApproved, TaskDueChanged, TaskDeclined,
)
