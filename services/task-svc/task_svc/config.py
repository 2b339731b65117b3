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
    # Lifecycle (issue #8).
    warning_working_days: int = Field(default=5, alias="DUBAN_WARNING_WORKING_DAYS")
    remind_daily_cap: int = Field(default=3, alias="DUBAN_REMIND_DAILY_CAP")
    deadline_scan_seconds: float = Field(default=60.0, alias="DUBAN_DEADLINE_SCAN_SECONDS")
    deadline_scheduler: bool = Field(default=True, alias="DUBAN_DEADLINE_SCHEDULER")
    evidence_store: str = Field(default="local", alias="DUBAN_EVIDENCE_STORE")  # local | database
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, alias="DUBAN_EVIDENCE_MAX_BYTES")
