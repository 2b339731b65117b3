"""task-svc settings."""

from pydantic import Field

from duban_shared.settings import ServiceSettings


class TaskSettings(ServiceSettings):
    """Settings of task-svc (directory, accounts, tasks)."""

    service_name: str = "task-svc"
    port: int = 8002
    demo_directory: bool = Field(default=False, alias="DUBAN_DEMO_DIRECTORY")
    admin_password: str = Field(default="demo", alias="DUBAN_ADMIN_PASSWORD")
    unit_password: str = Field(default="demo", alias="DUBAN_UNIT_PASSWORD")
