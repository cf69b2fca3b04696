"""Readiness: what must hold before `/readyz` says ready, and the start-up load of the claim books."""

from __future__ import annotations

import logging
from collections.abc import Callable

from coordination.errors import Unavailable
from coordination.service.context import ServiceContext
from coordination.service.drift import Drift
from coordination.store.migrate import head_revision

__all__ = ["Readiness"]

log = logging.getLogger("coordination.service")


class Readiness:
    def __init__(self, ctx: ServiceContext, drift: Drift, forget_silent_sessions: Callable[[], int]) -> None:
        self.ctx = ctx
        self.drift = drift
        self.forget_silent_sessions = forget_silent_sessions
        # Set once every repo's book has been loaded (`warm`); until then /readyz is not ready.
        self.books_loaded = False

    def warm(self) -> dict[str, int] | None:
        """Load every repo's active claims into this process's books (at start-up, before `/readyz`
        says ready), and the tracked-file list with the held patterns matched against it, so that no
        request pays for indexing them; then forget the silent sessions that hold nothing. Returns
        {repos, claims}, or None when the database could not be read: then `ready()` retries and
        says not ready until it works."""
        try:
            loaded = self.ctx.books.load_all()
        except Exception as exc:  # the database is unreachable: not ready, say why
            log.warning("claim books not loaded (%s: %s); /readyz retries", type(exc).__name__, exc)
            return None
        try:  # the tracked-file list too, with the held patterns matched against it (the first drift check)
            self.drift.check_drift(self.ctx.files())
        except Exception as exc:  # git failed: the first claim lists again, and answers why
            log.warning("tracked-file list not loaded at start-up (%s: %s)", type(exc).__name__, exc)
        if not self.ctx.settings.disable_background_cleanup:
            # The first sweep comes an interval after start; a database that kept every session
            # ever seen (older versions did) would slow each claim until then.
            try:
                self.forget_silent_sessions()
            except Exception as exc:  # locked or unreachable: the sweep tries again later
                log.warning("silent sessions not forgotten at start-up (%s: %s)", type(exc).__name__, exc)
        self.books_loaded = True
        return loaded

    def readiness_checks(self) -> list[tuple[str, Callable[[], str | None]]]:
        """What must hold before /readyz says ready, in order: (name, check returning the problem or None)."""
        return [("database", self.ctx.store.health), ("schema", self._schema_problem), ("books", self._books_problem)]

    def ready(self) -> tuple[bool, str]:
        for _name, check in self.readiness_checks():
            problem = check()
            if problem:
                return False, problem
        return True, head_revision()

    def _schema_problem(self) -> str | None:
        try:
            current = self.ctx.store.schema_revision()
        except Unavailable as exc:
            return exc.detail
        except Exception as exc:  # the database is unreachable: not ready, say why
            return f"database unreachable: {type(exc).__name__}"
        head = head_revision()
        if current != head:
            return f"schema at {current}, expected {head}"
        return None

    def _books_problem(self) -> str | None:
        if not self.books_loaded and self.warm() is None:
            return "active claims not loaded yet (the database could not be read at start-up)"
        return None
