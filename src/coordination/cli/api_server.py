"""`coord-api`: run the HTTP service in the foreground, for process managers and containers."""

from __future__ import annotations

import sys

import uvicorn

from coordination.api.app import InsecureConfiguration, check_auth_settings
from coordination.config import Settings, SettingsError, load_settings
from coordination.instance_lock import InstanceLock, InstanceLocked
from coordination.logs import uvicorn_log_config


def preflight(settings: Settings) -> None:
    """Fail fast, with a sentence, on the two set-up mistakes people make."""
    check_auth_settings(settings)
    if not settings.uses_postgres and not settings.disable_instance_lock:
        probe = InstanceLock(settings.resolved_database_path())
        probe.acquire()
        probe.release()


def serve(settings: Settings) -> None:
    from coordination.api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(settings.log_json, settings.log_level),
        timeout_graceful_shutdown=5,
    )


def main() -> None:
    try:
        settings = load_settings()
        preflight(settings)
    except (SettingsError, InsecureConfiguration, InstanceLocked) as exc:
        print(f"coord-api: {exc}", file=sys.stderr)
        sys.exit(2)
    serve(settings)


if __name__ == "__main__":
    main()
