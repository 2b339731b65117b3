"""The SQLModel base of task-svc: its own registry, so its tables live in its own metadata."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from duban_shared.messaging import messaging_tables


class TaskSvcModel(SQLModel, registry=registry()):
    """Base for task-svc tables."""


TABLES = messaging_tables(TaskSvcModel.metadata)
