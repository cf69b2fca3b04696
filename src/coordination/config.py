"""Every COORD_* server setting in one object, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coordination.core import limits, webhook_events
from coordination.errors import SettingsError

__all__ = ["DEFAULT_PORT", "ENV_PREFIX", "Settings", "SettingsError", "describe_errors", "load_settings"]

DEFAULT_PORT = 8080
ENV_PREFIX = "COORD_"
#: Settings whose values are never echoed in an error message.
_SECRET_FIELDS = frozenset({"auth_token", "webhook_secret", "database_url"})
_ECHO_LIMIT = 60


class Settings(BaseSettings):
    """Server settings; each field is the env var COORD_<NAME>."""

    # An empty variable (`COORD_LOG_JSON=` as .env.example shows it) means "unset": the default applies.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    database_path: Path = Field(Path("./data/coordination.db"), description="SQLite path")
    database_url: str | None = Field(None, description="postgresql://... to use PostgreSQL")
    auth_token: SecretStr | None = Field(None, description="Bearer token required by the API")
    allow_insecure_no_auth: bool = Field(False, description="Run without a token (local demo)")
    host: str = Field("0.0.0.0", description="Bind host")
    port: int = Field(DEFAULT_PORT, ge=1, le=65535, description="Bind port")
    log_level: str = Field("info", description="Log level")
    log_json: bool = Field(False, description="JSON access logs")

    repo_root: Path | None = Field(None, description="Checkout used for git ls-files overlap")
    repo_scope: str | None = Field(None, description="Subdirectory of repo_root to restrict to")
    max_claim_files: int = Field(100, ge=1)
    max_claim_ratio: float = Field(0.2, gt=0, le=1)
    ls_files_cache_ttl_sec: float = Field(10.0, ge=0)

    cleanup_interval_sec: float = Field(900.0, gt=0)
    disable_background_cleanup: bool = False
    default_ttl_hours: float = Field(4.0, gt=0)
    shared_ttl_hours: float = Field(2.0, gt=0)
    max_ttl_hours: float = Field(limits.DEFAULT_MAX_TTL_HOURS, gt=0)
    idle_timeout_sec: float = Field(1800.0, ge=0)
    clock_skew_margin_sec: float = Field(
        0.0,
        ge=0,
        le=3600,
        description=(
            "SQLite only (PostgreSQL decides from the database's clock): seconds a claim keeps "
            "counting for others after its TTL or idle timeout by this process's clock; set it to "
            "at least the largest clock difference between processes sharing the database file"
        ),
    )
    request_ttl_short_sec: float = Field(300.0, ge=0)
    same_person: str = Field(
        "person",
        description="Which engineer ids count as one person (their claims never block each other at the "
        "edit gate or at push): 'person' (same first id segment; sibling subagents stay apart) or 'exact'",
    )
    queue_age_boost_seconds: float = Field(
        60.0, ge=0, description="A queue entry older than this counts one priority level higher; 0 disables"
    )
    queue_max_waiters: int = Field(64, ge=1, le=10_000, description="Long-polling queue waiters per process")
    queue_waiter_lease_sec: float = Field(
        10.0,
        ge=1,
        le=300,
        description="A waiting call renews its queue entry's lease this often (a third of it); an entry whose "
        "lease ran out (its server died) is never granted and ends as abandoned",
    )
    queue_poll_sec: float = Field(
        0.5,
        ge=0.05,
        le=60,
        description="A waiting call re-reads its queue entry and re-runs the queue this often; the fallback "
        "for grants made by another replica (PostgreSQL wakes waiters at once with LISTEN/NOTIFY)",
    )

    max_call_wait_sec: float = Field(
        50.0,
        ge=0.5,
        le=900,
        description="The longest one call waits in the claim queue; a longer wait_seconds answers 202 with a "
        "ticket before this and the entry keeps its place until resumed (MCP clients give up after about 60 s)",
    )

    auto_promote_threshold: int = Field(
        0, ge=0, description="Refused attempts on a file within the window that add it to shared_files; 0 disables"
    )
    auto_promote_window_days: int = Field(
        7, ge=1, le=limits.MAX_DAYS, description="Rolling window of auto-promote, in days"
    )
    auto_promote_subtree_min_files: int = Field(
        3, ge=0, description="Auto-promoted files under one directory that become dir/** instead; 0 disables"
    )
    auto_demote_interval_sec: float = Field(3600.0, ge=0, description="Auto-demote sweep cadence; 0 disables")
    auto_demote_window_days: int = Field(
        14,
        ge=1,
        le=limits.MAX_DAYS,
        description="Days an auto-promoted entry must stay below the threshold to be removed",
    )

    webhook_url: str | None = Field(None, description="Receiver of webhook POSTs; unset disables webhooks")
    webhook_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key for X-Coord-Signature")
    webhook_events: str = Field("", description="Comma-separated webhook event allowlist; empty means all")
    webhook_max_retries: int = Field(5, ge=1, le=30, description="Attempts before a delivery is exhausted")
    webhook_retry_backoff_sec: float = Field(60.0, ge=0, description="Retry n waits backoff * 2**(n-1) seconds")
    webhook_delivery_interval_sec: float = Field(5.0, gt=0, description="How often the delivery loop runs")
    webhook_timeout_sec: float = Field(5.0, gt=0, le=60, description="Timeout of one webhook POST")

    disable_instance_lock: bool = False
    max_body_bytes: int = Field(1_048_576, ge=1024)

    instance_id: str | None = Field(
        None,
        max_length=limits.MAX_INSTANCE_ID_LENGTH,
        description="Reported by /readyz as `instance`; default: random per process",
    )

    db_busy_timeout_sec: float = Field(
        5.0,
        gt=0,
        le=600,
        description="Longest a request waits for the database (locks, connections) before a 503",
    )
    db_connect_timeout_sec: int = Field(3, ge=1, le=600, description="PostgreSQL connect timeout, in seconds")
    header_timeout_sec: float = Field(
        10.0, gt=0, le=3600, description="A client must send a request's headers within this many seconds"
    )
    body_timeout_sec: float = Field(
        30.0, gt=0, le=3600, description="A client must send a request's whole body within this many seconds"
    )

    home: Path = Field(Path("~/.coord"), description="coord start state directory")
    start_ready_timeout_sec: float = Field(30.0, gt=0)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("COORD_WEBHOOK_URL must start with http:// or https://")
        return value

    @field_validator("same_person")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        from coordination.core import identity

        problem = identity.rule_problem(value)
        if problem:
            raise ValueError(f"COORD_SAME_PERSON: {problem}")
        return value

    @field_validator("webhook_events")
    @classmethod
    def _known_events(cls, value: str) -> str:
        webhook_events.parse_allowlist(value)
        return value

    def webhook_allowlist(self) -> frozenset[str]:
        """The webhook event names to deliver (all of them when COORD_WEBHOOK_EVENTS is empty)."""
        return webhook_events.parse_allowlist(self.webhook_events)

    def resolved_database_path(self) -> Path:
        return self.database_path.expanduser()

    def resolved_home(self) -> Path:
        return self.home.expanduser()

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)


def load_settings(**overrides: Any) -> Settings:
    """`Settings()` from the environment, with a one-line `SettingsError` instead of a validation traceback."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """`COORD_PORT='abc': Input should be a valid integer ...`, one clause per bad variable."""
    clauses = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else "?"
        var = ENV_PREFIX + name.upper()
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if name in _SECRET_FIELDS or "input" not in error or isinstance(error["input"], dict):
            clauses.append(f"{var}: {message}")
            continue
        shown = str(error["input"])
        if len(shown) > _ECHO_LIMIT:
            shown = shown[:_ECHO_LIMIT] + "..."
        clauses.append(f"{var}={shown!r}: {message}")
    return "; ".join(clauses)
