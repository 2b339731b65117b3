"""report-svc settings."""

from pydantic import Field

from duban_shared.settings import ServiceSettings


class ReportSettings(ServiceSettings):
    """Settings of report-svc (read models and statistics)."""

    service_name: str = "report-svc"
    port: int = 8004
    gauge_refresh_seconds: float = Field(default=15.0, alias="DUBAN_REPORT_GAUGE_REFRESH")
    # How often the background refresher recomputes plans whose figures changed (reads recompute a dirty plan anyway).
    stats_refresh_seconds: float = Field(default=1.0, alias="DUBAN_REPORT_STATS_REFRESH")
    # Scheduled snapshots (情况通报): every N days per plan; 0 turns them off.
    snapshot_interval_days: int = Field(default=7, ge=0, alias="DUBAN_REPORT_SNAPSHOT_DAYS")
    snapshot_check_seconds: float = Field(default=600.0, alias="DUBAN_REPORT_SNAPSHOT_CHECK")
