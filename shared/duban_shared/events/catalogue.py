"""The catalogue: every integration event as a Pydantic model, its type, version and topic.

Additive changes (new optional fields) stay within a version; a breaking change is a new
class with the same TYPE and VERSION + 1, and both stay registered while consumers move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

# Topic suffixes; the full name is "<DUBAN_TOPIC_PREFIX>.<suffix>".
DIRECTORY_TOPIC = "directory"
PLAN_TOPIC = "plan"
TASK_TOPIC = "task"
REPORT_TOPIC = "report"
DLQ_TOPIC = "dlq"
EPOCH_TOPIC = "epoch"
TOPICS = (DIRECTORY_TOPIC, PLAN_TOPIC, TASK_TOPIC, REPORT_TOPIC)


class IntegrationEvent(BaseModel):
    """Base for catalogue events; subclasses set TYPE, VERSION, TOPIC and the key field."""

    model_config = ConfigDict(extra="allow")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    TOPIC: ClassVar[str]
    KEY_FIELD: ClassVar[str]

    def partition_key(self) -> str:
        """The aggregate id: events of one aggregate share a partition, so their order holds."""
        return str(getattr(self, self.KEY_FIELD))

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:
            CATALOGUE[(cls.TYPE, cls.VERSION)] = EventSpec(cls.TYPE, cls.VERSION, cls.TOPIC, cls)


@dataclass(frozen=True)
class EventSpec:
    """One catalogue entry."""

    type: str
    version: int
    topic: str
    model: type[IntegrationEvent]


CATALOGUE: dict[tuple[str, int], EventSpec] = {}


def lookup(event_type: str, version: int) -> EventSpec | None:
    """The spec for a type and version, or None when the catalogue does not know it."""
    return CATALOGUE.get((event_type, version))


# ---- directory -------------------------------------------------------------------------

UnitKind = Literal["city", "department", "district", "school"]
SchoolType = Literal["kindergarten", "primary", "junior", "senior", "vocational", "special", "university"]


class UnitUpserted(IntegrationEvent):
    """An org unit was created or changed (also used to deactivate: active=False)."""

    TYPE = "unit.upserted"
    TOPIC = DIRECTORY_TOPIC
    KEY_FIELD = "id"

    id: str
    code: str
    name: str
    kind: UnitKind
    parent_id: str | None = None
    school_type: SchoolType | None = None
    active: bool = True
    # Added for weighted indicators and notices (additive, v1): enrolment (在校生数) and contacts.
    enrolment: int | None = None
    email: str | None = None
    leader_name: str | None = None
    leader_email: str | None = None


# ---- plans -----------------------------------------------------------------------------


class IndicatorSnapshot(BaseModel):
    """A quantitative target of a plan item."""

    id: str
    text: str = ""
    name: str
    comparator: Literal[">=", "<=", "=", "~"] = ">="
    target: float | None = None
    unit: str = ""


class TargetsSnapshot(BaseModel):
    """Which levels an item is broken down to."""

    city: bool = True
    districts: bool = False
    school_types: list[SchoolType] = []
    # Explicit unit ids (or codes) that get a task of their own besides the levels above.
    units: list[str] = []


class PlanItemSnapshot(BaseModel):
    """Everything task-svc needs to break one item down without calling back."""

    id: str
    position: int
    section_number: str = ""
    section_title: str = ""
    number: str = ""
    title: str
    body: str = ""
    lead_units: list[str] = []
    supporting_units: list[str] = []
    deadline: date | None = None
    indicators: list[IndicatorSnapshot] = []
    targets: TargetsSnapshot = TargetsSnapshot()
    # Directory ids the parser or the editor resolved the document's unit names to (additive).
    lead_unit_ids: list[str] = []
    supporting_unit_ids: list[str] = []
    deadline_text: str = ""


class PlanPublished(IntegrationEvent):
    """A plan version was frozen and published, carried whole."""

    TYPE = "plan.published"
    TOPIC = PLAN_TOPIC
    KEY_FIELD = "plan_id"

    plan_id: str
    version: int
    title: str
    year: int | None = None
    issuer: str | None = None
    published_by: str
    published_at: datetime
    default_deadline: date | None = None
    items: list[PlanItemSnapshot]


class ItemChange(BaseModel):
    """What happened to one item between two versions."""

    item_id: str
    change: Literal["added", "removed", "changed"]
    fields: list[str] = []
    item: PlanItemSnapshot | None = None


class PlanRevised(IntegrationEvent):
    """A published plan got a new version; changes are listed item by item."""

    TYPE = "plan.revised"
    TOPIC = PLAN_TOPIC
    KEY_FIELD = "plan_id"

    plan_id: str
    version: int
    previous_version: int
    title: str
    year: int | None = None
    published_by: str
    published_at: datetime
    default_deadline: date | None = None
    changes: list[ItemChange]


# ---- tasks -----------------------------------------------------------------------------

TaskLevel = Literal["city", "district", "school"]
TaskStatus = Literal[
    "assigned", "acknowledged", "in_progress", "submitted", "completed", "returned", "declined", "withdrawn", "reassigned",
]
WarningLevel = Literal["green", "yellow", "red"]


class TaskEvent(IntegrationEvent):
    """Fields every task event carries, so read models need no lookups."""

    KEY_FIELD = "task_id"
    TOPIC = TASK_TOPIC

    task_id: str
    plan_id: str
    item_id: str | None = None
    parent_id: str | None = None
    level: TaskLevel
    unit_id: str
    issuer_unit_id: str | None = None
    status: TaskStatus
    actor: str | None = None
    at: datetime
    # Who acted, as people read it (additive): the person's name and their unit.
    actor_name: str | None = None
    actor_unit_id: str | None = None


class TaskCreated(TaskEvent):
    """A task was assigned to a unit."""

    TYPE = "task.created"
    title: str
    due_date: date | None = None
    plan_version: int = 1


class TaskAcknowledged(TaskEvent):
    """The unit signed for the task (签收)."""

    TYPE = "task.acknowledged"


class TaskProgressReported(TaskEvent):
    """The unit reported progress (填报)."""

    TYPE = "task.progress_reported"
    percent: int
    note: str = ""
    indicator_values: list[dict[str, object]] = []


class TaskSubmitted(TaskEvent):
    """The unit submitted the task for approval."""

    TYPE = "task.submitted"
    summary: str = ""


class TaskApproved(TaskEvent):
    """The issuing level approved the task: it is complete."""

    TYPE = "task.approved"


class TaskReturned(TaskEvent):
    """The issuing level sent the task back."""

    TYPE = "task.returned"
    reason: str


class TaskDeclined(TaskEvent):
    """The unit refused the task as not its responsibility (拒收); the issuer decides what follows."""

    TYPE = "task.declined"
    reason: str = ""


class TaskWithdrawn(TaskEvent):
    """The issuing level or a plan revision withdrew the task (撤回); it no longer counts."""

    TYPE = "task.withdrawn"
    reason: str = ""


class TaskReassigned(TaskEvent):
    """A declined task was given to another unit; the new task arrives in a tasks.assigned batch."""

    TYPE = "task.reassigned"
    reason: str = ""
    new_task_id: str
    new_unit_id: str


class TaskExtensionRequested(TaskEvent):
    """The unit asked for a later due date (延期申请)."""

    TYPE = "task.extension_requested"
    request_id: str
    requested_due: date
    reason: str = ""
    due_date: date | None = None


class TaskExtensionDecided(TaskEvent):
    """The issuing level granted or refused an extension; on approval due_date is the new date."""

    TYPE = "task.extension_decided"
    request_id: str
    approved: bool
    reason: str = ""
    due_date: date | None = None


class TaskDeadlineApproaching(TaskEvent):
    """The task turned yellow: due within the warning window of working days, not yet submitted."""

    TYPE = "task.deadline_approaching"
    due_date: date | None = None
    warning: WarningLevel = "yellow"
    title: str = ""


class TaskOverdue(TaskEvent):
    """The task turned red: past its due date and not yet submitted."""

    TYPE = "task.overdue"
    due_date: date | None = None
    warning: WarningLevel = "red"
    title: str = ""


class TaskReminded(TaskEvent):
    """The issuing level sent a reminder (催办)."""

    TYPE = "task.reminded"
    message: str = ""
    title: str = ""


class TaskDueChanged(TaskEvent):
    """A task's deadline or title changed after a plan revision."""

    TYPE = "task.updated"
    title: str
    due_date: date | None = None


# ---- batched breakdown (bulk facts travel in batches, never one event per row) -------------


class AssignedTask(BaseModel):
    """One task of a tasks.assigned batch."""

    task_id: str
    unit_id: str
    level: TaskLevel
    parent_id: str | None = None
    issuer_unit_id: str | None = None
    due_date: date | None = None
    late_joined: bool = False


class TasksAssigned(IntegrationEvent):
    """New tasks of one plan version, item and parent task, carried together (keyed by plan)."""

    TYPE = "tasks.assigned"
    TOPIC = TASK_TOPIC
    KEY_FIELD = "plan_id"

    plan_id: str
    plan_version: int = 1
    item_id: str | None = None
    parent_id: str | None = None
    title: str
    reason: Literal["published", "revised", "redispatched", "late_joined", "reopened", "reassigned"] = "published"
    actor: str | None = None
    at: datetime
    batch: int = 1
    tasks: list[AssignedTask]


class UnitTaskCount(BaseModel):
    """How many new tasks one unit got from a plan version."""

    unit_id: str
    count: int


class PlanDispatched(IntegrationEvent):
    """The last batch of a plan version's breakdown is written; one digest per unit follows from it."""

    TYPE = "plan.dispatched"
    TOPIC = TASK_TOPIC
    KEY_FIELD = "plan_id"

    plan_id: str
    plan_version: int
    title: str
    actor: str | None = None
    at: datetime
    batches: int
    tasks: int
    units: list[UnitTaskCount]
    warnings: list[str] = []


class TaskState(BaseModel):
    """A task as task-svc holds it now: the unit of a resnapshot."""

    task_id: str
    plan_id: str
    plan_version: int = 1
    item_id: str | None = None
    parent_id: str | None = None
    level: TaskLevel
    unit_id: str
    issuer_unit_id: str | None = None
    title: str = ""
    status: TaskStatus
    due_date: date | None = None
    percent: int = 0
    created_at: datetime | None = None
    acknowledged_at: datetime | None = None
    submitted_at: datetime | None = None
    completed_at: datetime | None = None
    indicator_values: list[dict[str, object]] = []


class TasksSnapshotted(IntegrationEvent):
    """Part of task-svc's re-emission of its current state, so read models can rebuild."""

    TYPE = "tasks.snapshotted"
    TOPIC = TASK_TOPIC
    KEY_FIELD = "snapshot_id"

    snapshot_id: str
    plan_id: str | None = None
    part: int
    parts: int
    at: datetime
    tasks: list[TaskState]
    request_id: str | None = None  # the reports.rebuild_requested it answers; None for an operator's resnapshot


class TasksWithdrawn(IntegrationEvent):
    """Open tasks withdrawn together (a revision dropped their item or target, a school closed)."""

    TYPE = "tasks.withdrawn"
    TOPIC = TASK_TOPIC
    KEY_FIELD = "plan_id"

    plan_id: str
    plan_version: int | None = None
    reason: str = ""
    actor: str | None = None
    at: datetime
    task_ids: list[str]


# ---- report: report-svc's requests to the services it reads from --------------------------


class ReportRebuildRequested(IntegrationEvent):
    """An administrator asked report-svc to rebuild its projection; task-svc answers with tasks.snapshotted parts."""

    TYPE = "reports.rebuild_requested"
    TOPIC = REPORT_TOPIC
    KEY_FIELD = "request_id"

    request_id: str
    plan_id: str | None = None  # None: every plan
    requested_by: str | None = None
    at: datetime


# ---- notify (branch notify): notify-svc's own live feed ----------------------------------

# Only notify-svc reads and writes this topic: every replica reads all of it to feed its SSE streams.
NOTIFY_TOPIC = "notify"


class StreamedNotice(BaseModel):
    """One notice of a notice.streamed event, as its unit's stream shows it."""

    unit_id: str
    notice: dict[str, object]


class NoticeStreamed(IntegrationEvent):
    """Notices created or changed in one transaction on one notify-svc replica; the others push them to their streams."""

    TYPE = "notice.streamed"
    TOPIC = NOTIFY_TOPIC
    KEY_FIELD = "origin"

    origin: str
    items: list[StreamedNotice]
