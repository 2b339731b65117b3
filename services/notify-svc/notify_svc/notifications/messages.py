"""What each task event says, to whom: kind, recipient, title and body in Chinese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from duban_shared.events.catalogue import (
    TaskApproved,
    TaskCreated,
    TaskDeadlineApproaching,
    TaskDeclined,
    TaskDueChanged,
    TaskEvent,
    TaskExtensionDecided,
    TaskExtensionRequested,
    TaskOverdue,
    TaskReassigned,
    TaskReminded,
    TaskReturned,
    TaskSubmitted,
    TaskWithdrawn,
)
from notify_svc.notifications.models import TaskRef


@dataclass(frozen=True)
class Message:
    """One notification to write."""

    kind: str
    unit_id: str
    title: str
    body: str
    task_id: str | None = None
    # Escalations go out even in the recipient's no-disturb hours.
    urgent: bool = False


def due_text(d: date | None) -> str:
    """A date as people write it."""
    return f"{d.year}年{d.month}月{d.day}日" if d else "未设定"


def _to_issuer(event: TaskEvent, kind: str, title: str, body: str, *, urgent: bool = False) -> list[Message]:
    return [Message(kind, event.issuer_unit_id, title, body, urgent=urgent)] if event.issuer_unit_id else []


def compose(event: TaskEvent, ref: TaskRef | None, names: dict[str, str]) -> list[Message]:
    """The notifications an event causes (none when it has no recipient)."""
    title = getattr(event, "title", "") or (ref.title if ref else "") or "一项任务"
    due = getattr(event, "due_date", None) or (ref.due_date if ref else None)
    issuer = names.get(event.issuer_unit_id or "", "上级单位")
    unit = names.get(event.unit_id, "承办单位")
    mine = event.unit_id
    match event:
        case TaskCreated():
            return [Message("task_assigned", mine, f"新任务：{title}",
                            f"{issuer}交办任务“{title}”，截止日期：{due_text(due)}。请及时签收并按期办理。")]
        case TaskReminded():
            said = f"催办意见：{event.message}" if event.message else "请抓紧办理。"
            return [Message("task_reminded", mine, f"催办：{title}",
                            f"{issuer}催办任务“{title}”（截止日期：{due_text(due)}）。{said}")]
        case TaskReturned():
            return [Message("task_returned", mine, f"任务被退回：{title}",
                            f"{issuer}退回了任务“{title}”，退回原因：{event.reason}。请修改后重新提交。")]
        case TaskSubmitted():
            summary = f"办理情况：{event.summary}" if event.summary else "请审核。"
            return _to_issuer(event, "task_submitted", f"待审核：{title}", f"{unit}已提交任务“{title}”。{summary}")
        case TaskApproved():
            return [Message("task_approved", mine, f"任务已办结：{title}", f"{issuer}已审核通过任务“{title}”，任务办结。")]
        case TaskDueChanged():
            return [Message("task_updated", mine, f"任务变更：{title}",
                            f"任务“{title}”已随计划修订调整，截止日期：{due_text(due)}。")]
        case TaskDeclined():
            why = f"拒收理由：{event.reason}" if event.reason else "未说明理由。"
            return _to_issuer(event, "task_declined", f"任务被拒收：{title}",
                              f"{unit}拒收了任务“{title}”。{why}请改派其他单位或撤回该任务。")
        case TaskWithdrawn():
            why = f"原因：{event.reason}" if event.reason else "无需继续办理。"
            return [Message("task_withdrawn", mine, f"任务已撤回：{title}", f"{issuer}撤回了任务“{title}”。{why}")]
        case TaskReassigned():
            why = f"原因：{event.reason}" if event.reason else ""
            return [Message("task_reassigned", event.new_unit_id, f"新任务（改派）：{title}",
                            f"{issuer}将任务“{title}”改派给本单位，截止日期：{due_text(due)}。{why}请及时签收并按期办理。",
                            task_id=event.new_task_id)]
        case TaskExtensionRequested():
            why = f"理由：{event.reason}" if event.reason else ""
            return _to_issuer(event, "extension_requested", f"延期申请：{title}",
                              f"{unit}申请将任务“{title}”的截止日期由{due_text(due)}延至{due_text(event.requested_due)}。{why}请审批。")
        case TaskExtensionDecided():
            note = f"意见：{event.reason}" if event.reason else ""
            if event.approved:
                return [Message("extension_approved", mine, f"延期已批准：{title}",
                                f"{issuer}批准了任务“{title}”的延期申请，新的截止日期：{due_text(event.due_date)}。{note}")]
            return [Message("extension_refused", mine, f"延期未批准：{title}",
                            f"{issuer}未批准任务“{title}”的延期申请，截止日期仍为{due_text(ref.due_date if ref else None)}。{note}")]
        case TaskDeadlineApproaching():
            return [Message("deadline_approaching", mine, f"即将到期：{title}",
                            f"任务“{title}”将于{due_text(due)}到期，尚未提交。请抓紧办理。")]
        case TaskOverdue():
            return [
                Message("task_overdue", mine, f"已逾期：{title}",
                        f"任务“{title}”已于{due_text(due)}到期，尚未提交，现已逾期。请尽快办理并提交。"),
                *_to_issuer(event, "overdue_escalated", f"逾期督办：{unit}·{title}",
                            f"{unit}承办的任务“{title}”已于{due_text(due)}到期，尚未提交。请督促办理。", urgent=True),
            ]
    return []


NOTIFYING_EVENTS: tuple[type[TaskEvent], ...] = (
    TaskCreated, TaskReminded, TaskReturned, TaskSubmitted, TaskApproved, TaskDueChanged, TaskDeclined, TaskWithdrawn,
    TaskReassigned, TaskExtensionRequested, TaskExtensionDecided, TaskDeadlineApproaching, TaskOverdue,
)
