"""Settings from the environment (`SUANLI_*`), with the embedded defaults that make `make demo` work.

Secrets (the audit log's signing key, the web secret for CSRF tokens, SMTP credentials) come, in
this order, from the environment (`SUANLI_AUDIT_SIGNING_KEY`, `SUANLI_WEB_SECRET`,
`SUANLI_SMTP_PASSWORD`), from a secrets directory (`SUANLI_SECRETS_DIR`, or systemd's
`$CREDENTIALS_DIRECTORY`; one file per secret, named as in `SECRET_FILES`), or — outside production
only — from files the first start generates under the data directory. With `SUANLI_ENV=production`
nothing is ever generated: a missing secret stops the start with a message naming it, and
`suanli admin check-config` lists what is missing (docs/operations.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from suanli.domain.errors import SuanliError

# name -> file name (in the secrets directory, and in the data directory where dev mode generates it)
SECRET_FILES = {
    "audit_signing_key": "audit-signing-key.pem",
    "web_secret": "web-secret",
    "smtp_password": "smtp-password",
}
GENERATED_IN_DEVELOPMENT = ("audit_signing_key", "web_secret")


class MissingSecret(SuanliError):
    status, slug, title = 503, "missing-secret", "Configuration incomplete"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUANLI_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: SecretStr = SecretStr("sqlite:///var/suanli.db")
    data_dir: Path = Path("var")
    secrets_dir: Path | None = None
    audit_signing_key: SecretStr | None = None  # PEM (PKCS#8 Ed25519)
    web_secret: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "suanli@localhost"  # the From of notification mail
    smtp_starttls: bool = False
    # The address people reach the web UI at, for links in notification mail (none: paths only).
    public_url: str | None = None
    # Webhook receivers let through the SSRF rule (docs/notifications.md): host names or CIDRs,
    # comma-separated, e.g. "hooks.intra.example,10.20.0.0/16" (an on-premise receiver); empty: public only.
    webhook_allowed_targets: str = ""
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 90)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=300, ge=1)
    login_max_failures_per_client: int = Field(default=30, ge=1)
    worker_interval_s: float = Field(default=0.5, gt=0)
    # After a commit that wrote audit events, the in-process sequencer waits this long so one batch
    # takes the events of the commits that follow closely (docs/audit.md).
    sequencer_gather_ms: float = Field(default=20, ge=0, le=1000)
    # An endpoint that answers a receipt waits at most this long for its event to be sequenced, then 503.
    receipt_wait_s: float = Field(default=2.0, ge=0, le=30)
    # The stand-alone worker serves Prometheus metrics on 127.0.0.1:PORT (0: off).
    worker_metrics_port: int = Field(default=9464, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    access_log: bool = True
    max_body_bytes: int = 1_048_576
    max_document_bytes: int = 1_000_000  # one uploaded evidence file (must fit in max_body_bytes)
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
    # A pooled connection older than this is replaced at checkout: below the usual server, proxy and
    # firewall idle cut-offs (often one or two hours).
    db_pool_recycle_s: int = Field(default=1800, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # WAL pages between SQLite's automatic checkpoints (4 KiB each: the WAL file grows to about 40 MB).
    sqlite_wal_autocheckpoint_pages: int = Field(default=10000, ge=100, le=1_000_000)
    # SQLite runs one transaction at a time: more requests in flight only queue (and compete for the GIL).
    sqlite_request_limit: int = Field(default=8, ge=1)
    # Capabilities this process runs with (`suanli.bootstrap`); the job core always runs. Leaving one
    # out, e.g. SUANLI_CAPABILITIES='["billing","placement"]', runs the platform without vouchers.
    capabilities: frozenset[str] = frozenset({"billing", "placement", "vouchers"})

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

    @property
    def production(self) -> bool:
        return self.env == "production"

    def secrets_directory(self) -> Path | None:
        if self.secrets_dir is not None:
            return self.secrets_dir
        credentials = os.environ.get("CREDENTIALS_DIRECTORY")  # systemd LoadCredential=
        return Path(credentials) if credentials else None

    def secret(self, name: str) -> bytes | None:
        """The configured secret `name` (environment, then secrets directory), or None."""
        value = getattr(self, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            return value.get_secret_value().encode()
        directory = self.secrets_directory()
        if directory is not None:
            path = directory / SECRET_FILES[name]
            if path.is_file():
                return path.read_bytes().rstrip(b"\n") if name != "audit_signing_key" else path.read_bytes()
        return None

    def secret_source(self, name: str) -> str | None:
        """Where `secret(name)` comes from, for `admin check-config` (never the value)."""
        value = getattr(self, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            return f"environment SUANLI_{name.upper()}"
        directory = self.secrets_directory()
        if directory is not None and (directory / SECRET_FILES[name]).is_file():
            return f"file {directory / SECRET_FILES[name]}"
        generated = self.data_dir / SECRET_FILES[name]
        if name in GENERATED_IN_DEVELOPMENT and generated.is_file() and not self.production:
            return f"generated file {generated} (development only)"
        return None

    def require_no_generation(self, name: str) -> None:
        """Called before generating a secret: refused in production."""
        if self.production:
            raise MissingSecret(
                f"SUANLI_ENV=production and no {name} is configured: set SUANLI_{name.upper()} or put "
                f"{SECRET_FILES[name]} in SUANLI_SECRETS_DIR (see `suanli admin check-config`)")


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def check_config(settings: Settings) -> list[tuple[str, bool, str]]:
    """(item, ok, explanation) for everything a production host needs."""
    rows: list[tuple[str, bool, str]] = [("environment", True, settings.env)]
    url = settings.url
    where = url.split("@")[-1] if "@" in url else url
    rows.append(("database", True, where + (" (SQLite: one host only)" if url.startswith("sqlite") else "")))
    for name, file_name in SECRET_FILES.items():
        source = settings.secret_source(name)
        if name == "smtp_password" and not settings.smtp_host:
            rows.append((name, True, "not needed (no SUANLI_SMTP_HOST)"))
            continue
        if source is None and name in GENERATED_IN_DEVELOPMENT and not settings.production:
            source = "generated on first start under the data directory (development only)"
        rows.append((name, source is not None, source or "missing: set SUANLI_" + name.upper()
                     + f" or put {file_name} in SUANLI_SECRETS_DIR"))
    if settings.production and not settings.secure_cookies:
        rows.append(("secure_cookies", False, "production behind TLS needs SUANLI_SECURE_COOKIES=true"))
    return rows
