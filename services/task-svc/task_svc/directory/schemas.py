"""Directory API shapes."""

from pydantic import BaseModel

from task_svc.directory.models import UnitPublic


class UnitPage(BaseModel):
    """A page of units."""

    items: list[UnitPublic]
    total: int


class ImportRowError(BaseModel):
    """A rejected row."""

    row: int
    code: str
    message: str


class ImportSummary(BaseModel):
    """What an import did, row by row for what it rejected."""

    total_rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    accounts_created: int
    tasks_withdrawn: int = 0  # open tasks of schools the import deactivated
    tasks_joined: int = 0  # tasks given to schools that joined after publication
    errors: list[ImportRowError]
