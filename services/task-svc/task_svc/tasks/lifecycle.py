"""The one transition table: which action may move a task from which state to which, and who may do it.

Routes, services and handlers ask `check()`; nothing else encodes these rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from duban_shared.errors import AppError

# Who may act, as permissions.roles_for() names the caller's relation to a task:
#   unit      the task's own unit (承办单位)
#   co_owner  a supporting department of the task (协办处室)
#   issuer    the issuing level: the unit of the parent task (交办单位)
#   lead      the lead department of the task's plan item (the unit of the city task at the top)
#   city      the city bureau's administrators
UNIT, CO_OWNER, ISSUER, LEAD, CITY = "unit", "co_owner", "issuer", "lead", "city"

OPEN = frozenset({"assigned", "acknowledged", "in_progress", "returned"})
# Statuses that no longer count anywhere (report totals skip them); nothing moves them again.
GONE = frozenset({"withdrawn", "reassigned"})
# Closed for the unit: nothing is due any more, so no warning, reminder or extension applies.
CLOSED = frozenset({"submitted", "completed", "declined"}) | GONE

STATUS_NAMES = {
    "assigned": "待签收", "acknowledged": "已签收", "in_progress": "办理中", "submitted": "已提交", "completed": "已完成",
    "returned": "已退回", "declined": "已拒收", "withdrawn": "已撤回", "reassigned": "已改派",
}


@dataclass(frozen=True)
class Rule:
    """One action: the states it starts from, where it leads (None: the status stays), who may do it."""

    name: str
    sources: frozenset[str]
    target: str | None
    actors: frozenset[str]
    # States where repeating the action is a no-op answered with the task as it is (idempotent).
    settled: frozenset[str] = frozenset()
    # Why the action is refused from a state, when the generic sentence would not help the clerk.
    hints: tuple[tuple[str, str], ...] = ()


def _rule(name: str, sources: set[str], target: str | None, actors: set[str], settled: set[str] = set(),  # noqa: B006
          hints: dict[str, str] | None = None) -> Rule:
    return Rule(name, frozenset(sources), target, frozenset(actors), frozenset(settled), tuple((hints or {}).items()))


TABLE: dict[str, Rule] = {r.name: r for r in (
    _rule("签收", {"assigned"}, "acknowledged", {UNIT},
          settled={"acknowledged", "in_progress", "submitted", "completed", "returned"}),
    _rule("填报进展", {"acknowledged", "in_progress", "returned"}, "in_progress", {UNIT, CO_OWNER},
          hints={"assigned": "任务尚未签收，请先签收再填报进展", "submitted": "任务已提交，等待交办单位验收，不能再填报"}),
    _rule("提交", {"acknowledged", "in_progress", "returned"}, "submitted", {UNIT},
          hints={"assigned": "任务尚未签收，请先签收", "submitted": "任务已提交，请勿重复提交"}),
    _rule("验收通过", {"submitted"}, "completed", {ISSUER},
          hints={s: "任务尚未提交，不能验收通过" for s in OPEN}),
    _rule("退回", {"submitted"}, "returned", {ISSUER},
          hints={s: "任务尚未提交，不能退回" for s in OPEN}),
    _rule("拒收", {"assigned", "acknowledged"}, "declined", {UNIT},
          hints={"in_progress": "任务已在办理中，不能拒收；如确需调整请与交办单位联系"}),
    _rule("改派", {"declined"}, "reassigned", {ISSUER},
          hints={s: "只有被拒收的任务才能改派" for s in OPEN | {"submitted", "completed"}}),
    _rule("撤回", OPEN | {"declined", "submitted"}, "withdrawn", {ISSUER}),
    _rule("申请延期", OPEN, None, {UNIT}),
    _rule("审批延期", OPEN | {"submitted"}, None, {ISSUER}),
    _rule("催办", OPEN, None, {ISSUER, LEAD, CITY}),
    _rule("上传佐证材料", OPEN, None, {UNIT, CO_OWNER}),
)}

ACTIONS = {
    "acknowledge": "签收", "progress": "填报进展", "submit": "提交", "approve": "验收通过", "return": "退回", "decline": "拒收",
    "reassign": "改派", "withdraw": "撤回", "extension": "申请延期", "extension_decide": "审批延期", "remind": "催办",
    "evidence": "上传佐证材料",
}

_WHO = {UNIT: "承办单位", CO_OWNER: "协办处室", ISSUER: "交办单位", LEAD: "牵头处室", CITY: "市教育局"}


def rule(action: str) -> Rule:
    """The rule of an action by its API name (acknowledge, progress, …)."""
    return TABLE[ACTIONS[action]]


def may(action: str, roles: set[str] | frozenset[str]) -> bool:
    """True when one of the caller's roles may perform the action."""
    return bool(rule(action).actors & roles)


def check(action: str, status: str, roles: set[str] | frozenset[str]) -> str | None:
    """The status the action leads to; raises 403 for the wrong caller and 409 for the wrong state.

    Returns the current status unchanged for a settled (idempotent) repeat, and None for actions
    that never move the status (reminders, extensions, evidence).
    """
    r = rule(action)
    if not r.actors & roles:
        who = "、".join(_WHO[a] for a in sorted(r.actors))
        raise AppError(403, "forbidden", f"只有{who}可以{r.name}此任务")
    if status in r.settled:
        return status
    if status not in r.sources:
        hint = dict(r.hints).get(status)
        raise AppError(409, "illegal_transition", hint or f"任务当前状态为「{STATUS_NAMES.get(status, status)}」，不能{r.name}")
    return r.target


def is_noop(action: str, status: str) -> bool:
    """True when repeating the action from this status changes nothing."""
    return status in rule(action).settled
