"""task-svc settings."""

from pydantic import Field

from duban_shared.security import ConfigError
from duban_shared.settings import ServiceSettings

DEMO_PASSWORD = "demo"


class TaskSettings(ServiceSettings):
    """Settings of task-svc (directory, accounts, tasks)."""

    service_name: str = "task-svc"
    port: int = 8002
    demo_directory: bool = Field(default=False, alias="DUBAN_DEMO_DIRECTORY")
    admin_password: str | None = Field(default=None, alias="DUBAN_ADMIN_PASSWORD")
    # Only demo mode gives unit accounts a password; elsewhere they are activated with a one-time code.
    unit_password: str = Field(default=DEMO_PASSWORD, alias="DUBAN_UNIT_PASSWORD")
    refresh_ttl_seconds: int = Field(default=12 * 3600, ge=300, alias="DUBAN_REFRESH_TTL")
    # Lifecycle (issue #8).
    warning_working_days: int = Field(default=5, alias="DUBAN_WARNING_WORKING_DAYS")
    remind_daily_cap: int = Field(default=3, alias="DUBAN_REMIND_DAILY_CAP")
    deadline_scan_seconds: float = Field(default=60.0, alias="DUBAN_DEADLINE_SCAN_SECONDS")
    deadline_scheduler: bool = Field(default=True, alias="DUBAN_DEADLINE_SCHEDULER")
    evidence_store: str = Field(default="local", alias="DUBAN_EVIDENCE_STORE")  # local | database
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, alias="DUBAN_EVIDENCE_MAX_BYTES")

    # Breakdown jobs: tasks written per transaction, and a pause between chunks so API writers get the database.
    breakdown_chunk_tasks: int = Field(default=1000, alias="DUBAN_BREAKDOWN_CHUNK", ge=1)
    breakdown_pause_seconds: float = Field(default=0.0, alias="DUBAN_BREAKDOWN_PAUSE", ge=0)

    def checked_admin_password(self) -> str:
        """The admin password to create `admin` with; ConfigError (a clear message, no traceback) when unusable."""
        from task_svc.auth.passwords import MAX_BYTES, password_problem

        pw = self.admin_password
        if pw is None:
            if self.demo_mode:
                return DEMO_PASSWORD
            raise ConfigError("生产模式必须设置 DUBAN_ADMIN_PASSWORD（演示模式请设置 DUBAN_DEMO=true）")
        if len(pw.encode()) > MAX_BYTES:
            raise ConfigError(f"DUBAN_ADMIN_PASSWORD 超过 {MAX_BYTES} 字节（bcrypt 只读取前 {MAX_BYTES} 字节），请换一个较短的密码")
        if not self.demo_mode:
            problem = DEMO_PASSWORD if pw == DEMO_PASSWORD else password_problem(pw, username="admin", minimum=12)
            if problem:
                raise ConfigError(f"DUBAN_ADMIN_PASSWORD 不能用于生产模式：{'不能使用演示密码' if problem == DEMO_PASSWORD else problem}")
        return pw
