"""`coordination.main:app` for uvicorn and process managers.

The app is built on first access, not at import, so importing this module
(tests, tooling) never reads the environment or opens a database.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "app":
        from coordination.api.app import create_app

        app = create_app()
        globals()["app"] = app
        return app
    raise AttributeError(name)
