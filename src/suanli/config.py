"""Settings from the environment (`SUANLI_*`), with the embedded defaults that make `make demo` work."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUANLI_", extra="ignore")

    database_url: SecretStr = SecretStr("sqlite:///var/suanli.db")
    data_dir: Path = Path("var")
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 90)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    login_max_failures_per_client: int = Field(default=30, ge=1)
    worker_interval_s: float = Field(default=0.5, gt=0)
    max_body_bytes: int = 1_048_576
    max_page_size: int = 500
    secure_cookies: bool = False
    # Operator weights per broker preset, e.g. {"balanced": {"price": 0.5, "start": 0.3, ...}} (docs/broker.md).
    placement_weights: dict[str, dict[str, float]] = Field(default_factory=dict)
    # Under load (docs/operations-load.md). Connections per process = db_pool_size + db_max_overflow;
    # the API admits at most that many minus `db_reserved_connections` (the in-process worker and
    # readiness) requests at once, and answers 503 + Retry-After to the rest after `admission_wait_s`.
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout_s: float = Field(default=2.0, gt=0)
    db_reserved_connections: int = Field(default=2, ge=0)
    max_concurrent_requests: int | None = Field(default=None, ge=1)
    admission_wait_s: float = Field(default=0.5, ge=0)
    retry_after_s: int = Field(default=1, ge=1)
    db_lock_timeout_ms: int = Field(default=2000, ge=0)
    db_statement_timeout_ms: int = Field(default=30000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(default=15000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # SQLite runs one transaction at a time: more requests in flight only queue (and compete for the GIL).
    sqlite_request_limit: int = Field(default=8, ge=1)

    @property
    def url(self) -> str:
        return self.database_url.get_secret_value()

    @property
    def request_limit(self) -> int:
        """How many requests one API process serves at once (never more than its pool can hold)."""
        pool = self.db_pool_size + self.db_max_overflow
        fit = max(1, pool - self.db_reserved_connections)
        if self.url.startswith("sqlite"):
            fit = min(fit, self.sqlite_request_limit)
        return min(self.max_concurrent_requests or fit, fit)

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
