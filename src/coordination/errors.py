"""Errors the service raises; every front door maps them to one response shape.

Also `SettingsError`, a bad `COORD_*` value: defined here, with no dependency, so the
`coord` command can catch it without importing the server settings (`coordination.config`,
pydantic-settings and a large model) on every run.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Deadlock(Conflict):
    """409: waiting would close a cycle of engineers who each hold what the next waits for."""

    code = "deadlock"


class Unavailable(ServiceError):
    """Retry later: the database stayed locked or unreachable, or too many waiters are queued."""

    status = 503
    code = "unavailable"


class SettingsError(ValueError):
    """A COORD_* variable holds a value the service cannot use; the message is one line naming it.

    Raised by `coordination.config.load_settings` (which re-exports it)."""
