"""`coord-api`: run the HTTP service in the foreground, for process managers and containers."""

from __future__ import annotations

import sys
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from coordination.api.app import InsecureConfiguration, check_auth_settings
from coordination.config import Settings, SettingsError, load_settings
from coordination.errors import Unavailable
from coordination.logs import uvicorn_log_config
from coordination.store import InstanceLockFailed, instance_lock


def preflight(settings: Settings) -> None:
    """Fail fast, with a sentence, on the two set-up mistakes people make."""
    check_auth_settings(settings)
    probe = instance_lock(settings)
    if probe:
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


class _Server(uvicorn.Server):
    """uvicorn, telling the app as soon as a stop signal arrives.

    uvicorn first waits for open requests to finish (up to the graceful timeout)
    and only then runs the app's shutdown; long-polling queue waiters would hold
    it up and then be cut off with a bare 500. Told at once, they end their
    queue entries and answer a 503 with the reason.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        from coordination.api.app import begin_shutdown

        # Not in the signal handler itself: it may have interrupted a thread holding a lock.
        threading.Thread(target=begin_shutdown, args=(self._app,), name="coord-begin-shutdown", daemon=True).start()


def serve(settings: Settings) -> None:
    from coordination.api.app import create_app
    from coordination.api.slow_clients import header_timeout_protocol

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        http=header_timeout_protocol(settings.header_timeout_sec),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=uvicorn_log_config(settings.log_json, settings.log_level),
        timeout_graceful_shutdown=5,
    )
    _Server(config, app).run()


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
