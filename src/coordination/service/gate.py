"""Use cases behind the editor gate (`coord-gate`): one call per tool event.

- `pre_edit`: before an agent writes files. Paths another person holds -> deny
  (nothing claimed); paths held by the same person (see `core.identity`) ->
  allowed, not re-claimed; free paths -> claimed for the agent's session (a
  path the engineer already holds is refreshed).
- `written`: after a write that got past the gate (PostToolUse, `coord check`,
  pre-push). Every file another person holds becomes an `unclaimed-write`
  audit event (webhook `unclaimed-write`) and a notice to the holder and the
  writer, once per (claim, writer, path).
- `session_start` / `session_end`: announce the session and what it holds; give
  the session's claims back (freed scope goes to the claim queue's waiters in
  the same transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coordination.core import globs, identity
from coordination.core.files import overlap_function
from coordination.core.limits import MAX_GATE_PATHS
from coordination.core.model import ClaimItem, ClaimType
from coordination.errors import Conflict, Invalid
from coordination.service.checks import Checks
from coordination.service.claims import Claims
from coordination.service.context import ServiceContext, check_identity
from coordination.service.gate_records import (
    GateAnswer,
    GateHolder,
    RecordedWrite,
    SessionEnded,
    SessionStarted,
    WriteReport,
    gate_holder,
    recorded_write,
)
from coordination.service.records import Conflicting
from coordination.service.sessions import Sessions
from coordination.service.types import ClaimRequest
from coordination.service.uow import PlainWrite
from coordination.store import audit as audit_rows

__all__ = ["MAX_GATE_PATHS", "UNCLAIMED_WRITE", "EditGate", "EditRequest"]

UNCLAIMED_WRITE = "unclaimed-write"


@dataclass
class EditRequest:
    engineer: str
    repo_id: str
    paths: list[str]
    session_id: str | None = None
    branch: str | None = None
    tool: str | None = None
    ttl_hours: float | None = None
    mode: str = "claim"  # "claim" | "warn"


class EditGate:
    def __init__(self, ctx: ServiceContext, claims: Claims, checks: Checks, sessions: Sessions) -> None:
        self.ctx = ctx
        self.claims = claims
        self.checks = checks
        self.sessions = sessions

    @property
    def rule(self) -> str:
        return self.ctx.settings.same_person

    def same_person(self, a: str, b: str) -> bool:
        return identity.same_person(a, b, self.rule)

    # ------------------------------------------------------------ pre-edit

    def pre_edit(self, req: EditRequest) -> GateAnswer:
        check_identity(req.engineer, req.repo_id, req.session_id)
        paths = _plain_paths(req.paths)
        if req.mode not in ("claim", "warn"):
            raise Invalid("mode must be claim or warn", field="mode")
        for _attempt in range(3):
            answer = self.checks.check_conflicts(req.repo_id, req.engineer, paths)
            theirs, own = self._split(req.engineer, answer.conflicts)
            if req.mode == "warn":
                return GateAnswer("allow", (), own, theirs, answer.suggestion, warning=bool(theirs))
            if theirs:
                return GateAnswer("deny", (), own, theirs, answer.suggestion, warning=False)
            held = {c.requested_pattern for c in own}
            free = [p for p in paths if p not in held]
            if not free:
                return GateAnswer("allow", (), own, (), None, warning=False)
            try:
                result = self.claims.create_claims(
                    ClaimRequest(
                        engineer=req.engineer,
                        repo_id=req.repo_id,
                        session_id=req.session_id,
                        branch=req.branch,
                        description=f"auto-claimed by the {req.tool or 'editor'} edit gate",
                        ttl_hours=req.ttl_hours,
                        items=[ClaimItem(ClaimType.FILE, p, ()) for p in free],
                    )
                )
            except Conflict:
                continue  # someone claimed in between: decide again on the new state
            claimed = tuple(result.claims)
            return GateAnswer("allow", claimed, own, (), None, False, tuple(result.pending_requests))
        raise Conflict("the files kept changing hands; try the edit again", conflicts=[])

    def _split(
        self, engineer: str, conflicts: Sequence[Conflicting]
    ) -> tuple[tuple[GateHolder, ...], tuple[GateHolder, ...]]:
        theirs: list[GateHolder] = []
        own: list[GateHolder] = []
        for entry in conflicts:
            same = self.same_person(engineer, entry.engineer)
            (own if same else theirs).append(gate_holder(entry, same))
        return tuple(theirs), tuple(own)

    # ------------------------------------------------------------- backstop

    def written(
        self,
        engineer: str,
        repo_id: str,
        paths: Sequence[str],
        source: str,
        session_id: str | None = None,
    ) -> WriteReport:
        """Record writes to files another person holds as `unclaimed-write` events."""
        ctx = self.ctx
        check_identity(engineer, repo_id, session_id)
        plain = _plain_paths(paths)
        overlaps = overlap_function(ctx.files())
        found: list[tuple[str, Any]] = []
        with ctx.synced(repo_id) as (book, is_live, _):
            for path in plain:
                for claim in book.candidates(path):
                    live = is_live(claim) and claim.exclusive and overlaps(path, claim.pattern)
                    if live and not self.same_person(engineer, claim.engineer):
                        found.append((path, claim))
        recorded: list[RecordedWrite] = []
        if not found:
            return WriteReport(())
        with PlainWrite(ctx, repo_id) as w:
            tx, now = w.tx, w.now
            for path, claim in found:
                seen = audit_rows.count_events(
                    tx, repo_id, UNCLAIMED_WRITE, claim_id=claim.id, engineer=engineer, pattern=path
                )
                if seen:
                    recorded.append(recorded_write(path, claim, engineer, source, new=False))
                    continue
                detail = {
                    "holder": claim.engineer,
                    "writer": engineer,
                    "source": source,
                    "claim_pattern": claim.pattern,
                }
                ctx.audit.event(tx, repo_id, UNCLAIMED_WRITE, engineer, claim.id, path, now, detail)
                for who in (claim.engineer, engineer):
                    ctx.audit.notice(tx, repo_id, who, UNCLAIMED_WRITE, claim.id, now, {"path": path, **detail})
                recorded.append(recorded_write(path, claim, engineer, source, new=True))
        return WriteReport(tuple(recorded))

    # ------------------------------------------------------------- sessions

    def session_start(self, session_id: str, engineer: str, repo_id: str) -> SessionStarted:
        beat = self.sessions.heartbeat(session_id, engineer, repo_id)
        held = tuple(self.claims.list_claims(repo_id=repo_id, engineer=engineer))
        return SessionStarted(session_id, held, tuple(beat.pending_requests))

    def session_end(self, session_id: str, engineer: str, repo_id: str) -> SessionEnded:
        # The session is over: every claim it took ends, its subagents' (`engineer+agent`) too,
        # so this is a forced release scoped to the session, recorded with the session's engineer.
        released = self.claims.release_many(repo_id, engineer, session_id=session_id, force=True)
        return SessionEnded(session_id, tuple(released))


def _plain_paths(paths: Sequence[str]) -> list[str]:
    if not paths:
        raise Invalid("paths must list at least one repo-relative file path", field="paths")
    if len(paths) > MAX_GATE_PATHS:
        raise Invalid(f"at most {MAX_GATE_PATHS} paths per call", field="paths")
    out: list[str] = []
    for path in paths:
        reason = globs.validate(path)
        if reason or not globs.is_literal(path):
            raise Invalid(f"paths must be plain repo-relative file paths: {path!r} ({reason or 'glob'})", field="paths")
        if path not in out:
            out.append(path)
    return out
