"""Service settings, read from the environment when a service's app is built."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_var_dir() -> Path:
    """Where SQLite files, keys and uploads live unless DUBAN_VAR_DIR says otherwise."""
    return REPO_ROOT / "var"


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to add its own."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    service_name: str = "duban"
    port: int = 8000
    var_dir: Path = Field(default_factory=default_var_dir, alias="DUBAN_VAR_DIR")
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092", alias="KAFKA_BOOTSTRAP_SERVERS")
    topic_prefix: str = Field(default="duban", alias="DUBAN_TOPIC_PREFIX")
    # Kafka authentication (compose and Kubernetes run SASL/SCRAM with per-service ACLs).
    kafka_security_protocol: str = Field(default="PLAINTEXT", alias="DUBAN_KAFKA_SECURITY_PROTOCOL")
    kafka_sasl_mechanism: str = Field(default="SCRAM-SHA-512", alias="DUBAN_KAFKA_SASL_MECHANISM")
    kafka_username: str | None = Field(default=None, alias="DUBAN_KAFKA_USERNAME")
    kafka_password: str | None = Field(default=None, alias="DUBAN_KAFKA_PASSWORD")
    kafka_ca_file: Path | None = Field(default=None, alias="DUBAN_KAFKA_CA_FILE")
    # A new consumer group waits about half this before its first assignment (Tansu; Kafka's initial
    # rebalance delay is separate). Kafka brokers refuse values under group.min.session.timeout.ms (6 s).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1_000, le=300_000, alias="DUBAN_KAFKA_SESSION_TIMEOUT_MS")
    messaging_enabled: bool = Field(default=True, alias="DUBAN_MESSAGING")
    run_migrations: bool = Field(default=True, alias="DUBAN_RUN_MIGRATIONS")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_json: bool = Field(default=True, alias="DUBAN_LOG_JSON")
    max_body_bytes: int = Field(default=1_048_576, alias="DUBAN_MAX_BODY_BYTES")
    # Auth: embedded keys under var/keys unless an OIDC issuer is configured.
    jwt_private_key_path: Path | None = Field(default=None, alias="DUBAN_JWT_PRIVATE_KEY")
    jwt_public_key_path: Path | None = Field(default=None, alias="DUBAN_JWT_PUBLIC_KEY")
    jwt_issuer: str = Field(default="duban", alias="DUBAN_JWT_ISSUER")
    jwt_audience: str = Field(default="duban", alias="DUBAN_JWT_AUDIENCE")
    jwt_ttl_seconds: int = Field(default=30 * 60, ge=60, le=3600, alias="DUBAN_JWT_TTL")
    oidc_issuer: str | None = Field(default=None, alias="OIDC_ISSUER")
    oidc_jwks_url: str | None = Field(default=None, alias="OIDC_JWKS_URL")
    # Security (SECURITY.md): demo mode allows generated keys and the shared demo password.
    demo_mode: bool = Field(default=False, alias="DUBAN_DEMO")
    oidc_roles_claim: str = Field(default="roles", alias="OIDC_ROLES_CLAIM")
    oidc_role_map: str = Field(default="", alias="OIDC_ROLE_MAP")
    token_check_url: str | None = Field(default=None, alias="DUBAN_TOKEN_CHECK_URL")
    token_check_ttl: float = Field(default=5.0, alias="DUBAN_TOKEN_CHECK_TTL")
    trusted_proxies: str = Field(default="127.0.0.1/32,::1/128", alias="DUBAN_TRUSTED_PROXIES")
    # Messaging tuning.
    relay_interval_seconds: float = Field(default=0.5, alias="DUBAN_RELAY_INTERVAL")
    relay_batch_size: int = Field(default=200, alias="DUBAN_RELAY_BATCH")
    epoch_check_seconds: float = Field(default=3.0, alias="DUBAN_EPOCH_CHECK")
    confirm_interval_seconds: float = Field(default=5.0, alias="DUBAN_CONFIRM_INTERVAL")
    handler_retries: int = Field(default=3, alias="DUBAN_HANDLER_RETRIES")
    retry_backoff_seconds: float = Field(default=0.2, alias="DUBAN_RETRY_BACKOFF")
    max_event_bytes: int = Field(default=900_000, alias="DUBAN_MAX_EVENT_BYTES")
    # Operations: business gauges and retention of published outbox rows and inbox rows.
    business_gauge_refresh_seconds: float = Field(default=15.0, alias="DUBAN_BUSINESS_GAUGE_REFRESH")
    outbox_retention_hours: float = Field(default=168.0, alias="DUBAN_OUTBOX_RETENTION_HOURS")
    inbox_retention_hours: float = Field(default=720.0, alias="DUBAN_INBOX_RETENTION_HOURS")
    retention_interval_seconds: float = Field(default=3600.0, alias="DUBAN_RETENTION_INTERVAL")
    # Peer services for read-only HTTP queries.
    plan_svc_url: str = Field(default="http://127.0.0.1:8001", alias="PLAN_SVC_URL")
    task_svc_url: str = Field(default="http://127.0.0.1:8002", alias="TASK_SVC_URL")
    notify_svc_url: str = Field(default="http://127.0.0.1:8003", alias="NOTIFY_SVC_URL")
    report_svc_url: str = Field(default="http://127.0.0.1:8004", alias="REPORT_SVC_URL")

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to a SQLite file named after the service."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'db' / (self.service_name + '.sqlite3')}"

    @property
    def keys_dir(self) -> Path:
        """Folder for the embedded JWT signing keys."""
        return self.var_dir / "keys"

    def kafka_security(self) -> dict[str, object]:
        """Client options for aiokafka: empty for PLAINTEXT, SASL (and TLS) otherwise."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return {}
        opts: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL"):
            opts.update(sasl_mechanism=self.kafka_sasl_mechanism, sasl_plain_username=self.kafka_username,
                        sasl_plain_password=self.kafka_password)
        if self.kafka_security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            opts["ssl_context"] = create_ssl_context(cafile=str(self.kafka_ca_file) if self.kafka_ca_file else None)
        return opts

    def topic(self, name: str) -> str:
        """Full topic name for a catalogue topic suffix."""
        return f"{self.topic_prefix}.{name}"
