"""The SQLModel base of notify-svc: its own registry, so its tables live in its own metadata."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from duban_shared.messaging import messaging_tables


class NotifySvcModel(SQLModel, registry=registry()):
    """Base for notify-svc tables."""


TABLES = messaging_tables(NotifySvcModel.metadata)
