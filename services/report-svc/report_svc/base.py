"""The SQLModel base of report-svc: its own registry, so its tables live in its own metadata."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from duban_shared.messaging import messaging_tables


class ReportSvcModel(SQLModel, registry=registry()):
    """Base for report-svc tables."""


TABLES = messaging_tables(ReportSvcModel.metadata)
