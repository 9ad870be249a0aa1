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
    # Capabilities this process runs with (`suanli.bootstrap`); the job core always runs. Leaving one
    # out, e.g. SUANLI_CAPABILITIES='["billing","placement"]', runs the platform without vouchers.
    capabilities: frozenset[str] = frozenset({"billing", "placement", "vouchers"})

    @property
    def url(self) -> str:
        return self.database_url.get_secret_value()

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
