"""The notices a revision causes, worded as notify-svc words them.

Kept in step with notify-svc by hand (services do not import each other): `digests/service.py`
(`_tell`, `withdrawn_digest`, `_lines`) and `notifications/messages.py` (`task.updated`, `due_text`).
tests/test_revision_preview_wording.py renders both for the same facts and compares them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

LISTED = 30  # notify-svc's digests list this many tasks by name, then count the rest


@dataclass(frozen=True)
class Line:
    """One task as a digest lists it."""

    title: str
    due: date | None


@dataclass(frozen=True)
class Notice:
    """One notice: its kind, title and body."""

    kind: str
    title: str
    body: str


def due_text(d: date | None) -> str:
    """A date as people write it."""
    return f"{d.year}年{d.month}月{d.day}日" if d else "未设定"


def lines(tasks: Sequence[Line]) -> str:
    """A digest's numbered list, ordered by due date then title (undated last)."""
    ordered = sorted(tasks, key=lambda t: (t.due is None, t.due or date.min, t.title))
    out = [f"{i}. {t.title}（截止：{due_text(t.due)}）" for i, t in enumerate(ordered[:LISTED], 1)]
    if len(ordered) > LISTED:
        out.append(f"……等共{len(ordered)}项，请到督办系统查看全部。")
    return "\n".join(out)


def assigned(heading: str, issuer: str, tasks: Sequence[Line]) -> Notice:
    """The digest a unit gets for its new tasks of a plan version (heading: the plan's title)."""
    n = len(tasks)
    return Notice("tasks_assigned", f"新任务{n}项：{heading}", f"{issuer}下达《{heading}》任务{n}项，请及时签收并按期办理：\n{lines(tasks)}")


def updated(title: str, due: date | None) -> Notice:
    """task.updated: the title, body, deadline or issuer of an open task changed with the plan."""
    return Notice("task_updated", f"任务变更：{title}", f"任务“{title}”已随计划修订调整，截止日期：{due_text(due)}。")


def withdrawn(reason: str, tasks: Sequence[Line]) -> Notice:
    """tasks.withdrawn: one notice per unit listing its withdrawn tasks."""
    why = f"原因：{reason}。" if reason else ""
    return Notice("tasks_withdrawn", f"任务撤回{len(tasks)}项", f"以下任务已撤回，无需继续办理。{why}\n" + lines(tasks))
