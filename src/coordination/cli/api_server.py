"""`coord-api`: run the HTTP service in the foreground, for process managers and containers."""

from __future__ import annotations

import sys

import uvicorn

from coordination.api.app import InsecureConfiguration, check_auth_settings
from coordination.config import Settings, SettingsError, load_settings
from coordination.errors import Unavailable
from coordination.instance_lock import InstanceLock, InstanceLockFailed
from coordination.logs import uvicorn_log_config


def preflight(settings: Settings) -> None:
    """Fail fast, with a sentence, on the two set-up mistakes people make."""
    check_auth_settings(settings)
    if not settings.uses_postgres and not settings.disable_instance_lock:
        probe = InstanceLock(settings.resolved_database_path())
        probe.acquire()
        probe.release()
    check_storage(settings)


def check_storage(settings: Settings) -> None:
    """Open the database and bring its schema up to date before serving.

    A read-only directory, a full disk, a corrupted file or an unreachable
    PostgreSQL then stops the start with one line naming the problem
    (`Unavailable`), not a traceback from inside the server.
    """
    from coordination.store import open_store

    store = open_store(settings)
    try:
        store.migrate()
        store.verify()
    finally:
        store.close()


def serve(settings: Settings) -> None:
    from coordination.api.app import create_app
    from coordination.api.slow_clients import header_timeout_protocol

    uvicorn.run(
        create_app(settings),
        http=header_timeout_protocol(settings.header_timeout_sec),
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
    except (SettingsError, InsecureConfiguration, InstanceLockFailed) as exc:
        print(f"coord-api: {exc}", file=sys.stderr)
        sys.exit(2)
    except Unavailable as exc:
        print(f"coord-api: {exc.detail}", file=sys.stderr)
        sys.exit(2)
    serve(settings)


if __name__ == "__main__":
    main()
