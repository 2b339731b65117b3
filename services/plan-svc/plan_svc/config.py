"""plan-svc settings."""

from duban_shared.settings import ServiceSettings


class PlanSettings(ServiceSettings):
    """Settings of plan-svc."""

    service_name: str = "plan-svc"
    port: int = 8001
