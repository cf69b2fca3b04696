"""Sessions and their liveness: heartbeats, activity, and the end of an idle session's claims.

A session silent past `COORD_IDLE_TIMEOUT_SEC` stops counting: its claims end
(`idle_expired`) before the session can be touched again, so a touch never makes
an idle session's old claims count again (`SessionIdle`, `restarting_idle`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from coordination import records
from coordination.core import validation
from coordination.errors import Unavailable
from coordination.service.context import ServiceContext, check_identity
from coordination.service.grants import Grants
from coordination.service.records import Heartbeat
from coordination.service.uow import PlainWrite, RepoWrite
from coordination.store import Tx
from coordination.store import claims as claim_rows
from coordination.store import sessions as session_rows

__all__ = ["IDLE_RESTART_ATTEMPTS", "SESSION_TOUCH_INTERVAL_SEC", "SessionIdle", "Sessions"]

_T = TypeVar("_T")
SESSION_TOUCH_INTERVAL_SEC = 5.0
IDLE_RESTART_ATTEMPTS = 3


class SessionIdle(Exception):
    """Raised inside a transaction that would touch a session gone idle while it still
    has active claims: they end first (`Sessions.end_idle_session`), then the
    caller runs again, so a touch never makes an idle session's old claims count again."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


class Sessions:
    def __init__(self, ctx: ServiceContext, grants: Grants) -> None:
        self.ctx = ctx
        self.grants = grants
        self._touched: dict[str, float] = {}

    def heartbeat(self, session_id: str, engineer: str | None, repo_id: str | None) -> Heartbeat:
        check_identity(engineer, repo_id, session_id)
        return self.restarting_idle(lambda: self._heartbeat(session_id, engineer, repo_id))

    def _heartbeat(self, session_id: str, engineer: str | None, repo_id: str | None) -> Heartbeat:
        with PlainWrite(self.ctx) as w:
            self.touch(w.tx, session_id, engineer, w.now)
            self._touched[session_id] = time.monotonic()
            active = claim_rows.count_live_of_session(w.tx, session_id, records.to_epoch(w.now))
            pending = self.ctx.audit.take_notices(w.tx, repo_id, engineer, w.now) if engineer and repo_id else []
        return Heartbeat(session_id, w.now, active, tuple(pending))

    def activity_due(self, session_id: str) -> bool:
        """Whether `note_activity` would write: a valid id not touched in the last
        SESSION_TOUCH_INTERVAL_SEC. Memory only, so a caller on the event loop can
        skip the worker thread the write needs."""
        if validation.session_problem(session_id):
            return False
        last = self._touched.get(session_id)
        return last is None or time.monotonic() - last >= SESSION_TOUCH_INTERVAL_SEC

    def note_activity(self, session_id: str, engineer: str | None = None) -> None:
        """Any authenticated call carrying a session id keeps that session alive."""
        if not self.activity_due(session_id):
            return
        self._touched[session_id] = time.monotonic()

        def touch() -> None:
            with PlainWrite(self.ctx) as w:
                self.touch(w.tx, session_id, engineer, w.now)

        self.restarting_idle(touch)

    def touch(self, tx: Tx, session_id: str, engineer: str | None, now: datetime) -> None:
        """The session was seen at `now`.

        A session silent past the idle timeout (by `now`, without the skew margin)
        starts afresh, but only once none of its claims is active: otherwise this
        raises `SessionIdle`, the caller's transaction rolls back, the claims end
        (`idle_expired`) and the caller runs again. Its old claims never count again.
        """
        if self.ctx.session_idle(tx, session_id, now) and claim_rows.session_has_active(tx, session_id):
            raise SessionIdle(session_id)
        session_rows.touch(tx, session_id, engineer, records.to_epoch(now))

    def restarting_idle(self, run: Callable[[], _T]) -> _T:
        """Run a transaction that may touch a session; end an idle session's claims first if it must."""
        for _ in range(IDLE_RESTART_ATTEMPTS):
            try:
                return run()
            except SessionIdle as idle:
                self.end_idle_session(idle.session_id)
        raise Unavailable("a session's idle claims kept changing while they were being ended; retry shortly")

    def end_idle_session(self, session_id: str) -> None:
        """End every active claim of an idle session (`idle_expired`), each repo under its lock."""
        with self.ctx.store.read() as tx:
            repos = claim_rows.repos_of_session(tx, session_id)
        for repo_id in sorted(repos):
            with RepoWrite(self.ctx, repo_id) as w:
                if not self.ctx.session_idle(w.tx, session_id, w.now):
                    continue  # touched meanwhile: it started afresh and its claims are its own
                rows = claim_rows.active_of_session(w.tx, repo_id, session_id)
                self.grants.end_stopped(w.tx, rows, w.seq, w.now)
