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
DLQ_TOPIC = "dlq"
EPOCH_TOPIC = "epoch"
TOPICS = (DIRECTORY_TOPIC, PLAN_TOPIC, TASK_TOPIC)


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
TaskStatus = Literal["assigned", "acknowledged", "in_progress", "submitted", "completed", "returned", "declined"]


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
    """The task was withdrawn or declined (e.g. its item was removed in a revision)."""

    TYPE = "task.declined"
    reason: str = ""


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
