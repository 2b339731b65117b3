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
    # Breakdown jobs: tasks written per transaction, and a pause between chunks so API writers get the database.
    breakdown_chunk_tasks: int = Field(default=1000, alias="DUBAN_BREAKDOWN_CHUNK", ge=1)
    breakdown_pause_seconds: float = Field(default=0.0, alias="DUBAN_BREAKDOWN_PAUSE", ge=0)
