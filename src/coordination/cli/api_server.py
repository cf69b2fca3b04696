"""`coord-api`: run the HTTP service in the foreground, for process managers and containers."""

from __future__ import annotations

import logging
import sys
from typing import Any

import uvicorn

from coordination.api.app import InsecureConfiguration, check_auth_settings
from coordination.config import Settings
from coordination.instance_lock import InstanceLock, InstanceLocked


def log_config(settings: Settings) -> dict[str, Any]:
    config: dict[str, Any] = {k: v for k, v in uvicorn.config.LOGGING_CONFIG.items()}
    if settings.log_json:
        fmt = '{"time": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", "message": %(message)r}'
        access = (
            '{"time": "%(asctime)s", "client": "%(client_addr)s", "request": "%(request_line)s", '
            '"status": %(status_code)s}'
        )
        config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "default": {"()": "logging.Formatter", "fmt": fmt},
                "access": {"()": "uvicorn.logging.AccessFormatter", "fmt": access},
            },
            "handlers": {
                "default": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "stream": "ext://sys.stderr",
                },
                "access": {
                    "class": "logging.StreamHandler",
                    "formatter": "access",
                    "stream": "ext://sys.stdout",
                },
            },
            "loggers": {
                "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                "uvicorn.error": {"level": "INFO"},
                "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
                "coordination": {"handlers": ["default"], "level": "INFO", "propagate": False},
            },
        }
    return config


def preflight(settings: Settings) -> None:
    """Fail fast, with a sentence, on the two set-up mistakes people make."""
    check_auth_settings(settings)
    if not settings.uses_postgres and not settings.disable_instance_lock:
        probe = InstanceLock(settings.resolved_database_path())
        probe.acquire()
        probe.release()


def serve(settings: Settings) -> None:
    from coordination.api.app import create_app

    logging.getLogger("coordination").setLevel(settings.log_level.upper())
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=log_config(settings),
        timeout_graceful_shutdown=5,
    )


def main() -> None:
    settings = Settings()
    try:
        preflight(settings)
    except (InsecureConfiguration, InstanceLocked) as exc:
        print(f"coord-api: {exc}", file=sys.stderr)
        sys.exit(2)
    serve(settings)


if __name__ == "__main__":
    main()
