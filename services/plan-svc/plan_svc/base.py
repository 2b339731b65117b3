"""The SQLModel base of plan-svc, with its own metadata."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from duban_shared.messaging import messaging_tables


class PlanSvcModel(SQLModel, registry=registry()):
    """Base for plan-svc tables."""


TABLES = messaging_tables(PlanSvcModel.metadata)
