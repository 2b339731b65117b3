"""report-svc settings."""

from pydantic import Field

from duban_shared.settings import ServiceSettings


class ReportSettings(ServiceSettings):
    """Settings of report-svc (read models and statistics)."""

    service_name: str = "report-svc"
    port: int = 8004
    gauge_refresh_seconds: float = Field(default=15.0, alias="DUBAN_REPORT_GAUGE_REFRESH")
