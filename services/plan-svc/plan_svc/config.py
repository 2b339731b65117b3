"""plan-svc settings."""

from duban_shared.settings import ServiceSettings


class PlanSettings(ServiceSettings):
    """Settings of plan-svc."""

    service_name: str = "plan-svc"
    port: int = 8001
    # Uploads are parsed in a child process under these limits (address space and CPU seconds).
    parse_memory_mb: int = 1024
    parse_timeout_s: float = 60.0
