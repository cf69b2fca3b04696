"""The checks behind coord's hooks: before an editor edits a file, before a git push,
and in CI. Each check is one API call and fails open (with a visible warning)
when the service cannot be reached, except the pre-push check in strict mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coordination import clientenv
from coordination.client import CoordClient, CoordError, CoordUnreachable, claim_item
from coordination.wiring import git, repoconfig

HOOK_TIMEOUT_SEC = 5.0
PUSH_TIMEOUT_SEC = 10.0


def _timeout(default: float) -> float:
    raw = os.environ.get("COORD_HOOK_TIMEOUT_SEC")
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


# -- formatting -------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(value: Any, now: datetime | None = None) -> str:
    """`2025-01-01 14:00 UTC (in 2h05m)` from an ISO timestamp."""
    moment = _parse_time(value)
    if moment is None:
        return "an unknown time"
    now = now or datetime.now(UTC)
    delta = int((moment - now).total_seconds())
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if delta <= 0:
        return f"{stamp} (expired)"
    hours, rest = divmod(delta, 3600)
    minutes = rest // 60
    rel = f"{hours}h{minutes:02d}m" if hours else f"{max(minutes, 1)}m"
    return f"{stamp} (in {rel})"


def describe_conflict(c: dict[str, Any]) -> str:
    holder = c.get("engineer") or "another engineer"
    path = c.get("requested_pattern") or c.get("path") or c.get("pattern")
    pattern = c.get("pattern")
    symbols = c.get("symbols") or []
    what = f"{path}" if not symbols else f"{', '.join(map(str, symbols))} in {path}"
    scope = f" on {pattern}" if pattern and pattern != path else ""
    return (
        f"{what} is claimed by {holder} (claim #{c.get('claim_id', '?')}{scope}, "
        f"fence {c.get('fence', '?')}, expires {when(c.get('expires_at'))})"
    )


# -- editor hooks -----------------------------------------------------------


@dataclass
class EditDecision:
    """What an editor hook answers: deny (with reason) or allow (maybe with a warning)."""

    deny_reason: str | None = None
    warning: str | None = None
    context: str | None = None
    claimed: list[dict[str, Any]] = field(default_factory=list)

    def hook_output(self) -> dict[str, Any] | None:
        """Claude Code / Codex PreToolUse JSON; None means "print nothing, allow"."""
        if self.deny_reason is not None:
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": self.deny_reason,
                }
            }
        out: dict[str, Any] = {}
        if self.warning:
            out["systemMessage"] = self.warning
        if self.context:
            out["hookSpecificOutput"] = {
                "hookEventName": "PreToolUse",
                "additionalContext": self.context,
            }
        return out or None


def _under(root: Path, path: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    parts = rel.parts
    if not parts or parts[0] in (".git", ".coordination"):
        return None
    return rel.as_posix()


def repo_relative(root: Path, cwd: Path, paths: Iterable[str]) -> list[str]:
    """Repo-relative POSIX paths for the edited files inside `root`, deduplicated."""
    found: list[str] = []
    for raw in paths:
        if not raw:
            continue
        p = Path(raw)
        rel = _under(root, p if p.is_absolute() else cwd / p)
        if rel and rel not in found:
            found.append(rel)
    return found


def _request_hint(conflicts: Sequence[dict[str, Any]]) -> str:
    ids = sorted({int(c["claim_id"]) for c in conflicts if isinstance(c.get("claim_id"), int)})
    if not ids:
        return ""
    return f" (`coord request-release {ids[0]} --reason '...'`)"


def _deny_text(conflicts: Sequence[dict[str, Any]], suggestion: str | None) -> str:
    lines = ["coord refused this edit: " + "; ".join(describe_conflict(c) for c in conflicts) + "."]
    holders = sorted({str(c.get("engineer")) for c in conflicts if c.get("engineer")})
    lines.append(
        "Do not edit it now. Options: work on files nobody holds (claim them with the coord "
        "claim_files tool); wait until the claim expires or is released; or ask "
        f"{', '.join(holders) or 'the holder'} to release it{_request_hint(conflicts)}."
    )
    if suggestion:
        lines.append(f"coord suggests: {suggestion}")
    return " ".join(lines)


def guard_edit(
    file_paths: Sequence[str],
    cwd: Path,
    tool: str,
    tool_session: str | None = None,
    environ: dict[str, str] | None = None,
) -> EditDecision:
    """Ask coord before an editor edits `file_paths` (absolute, or relative to `cwd`).

    Mode `claim` (default): one `POST /claims` for the files; 409 -> deny with the
    holders. Mode `warn`: one `GET /conflicts`; conflicts -> allow with a warning.
    Mode `off`: allow. The service unreachable or misconfigured -> allow with a warning.
    """
    env_vars = dict(os.environ if environ is None else environ)
    session_seed = env_vars.get("COORD_SESSION_ID") or tool_session
    env = clientenv.resolve(env_vars, start=cwd, tool=tool, session_id=session_seed)
    root = env.repo_root or git.repo_root(cwd)
    if root is None:
        return EditDecision()
    cfg = repoconfig.load(root)
    if cfg.on_edit == "off":
        return EditDecision()
    rels = repo_relative(root, cwd, file_paths)
    if not rels:
        return EditDecision()
    try:
        with CoordClient.from_env(env, timeout=_timeout(HOOK_TIMEOUT_SEC)) as client:
            if cfg.on_edit == "warn":
                answer = client.conflicts(paths=rels, repo_id=env.repo_id, engineer=env.engineer)
                conflicts = [c for c in answer.get("conflicts") or [] if isinstance(c, dict)]
                if conflicts:
                    text = "coord warning: " + "; ".join(describe_conflict(c) for c in conflicts)
                    return EditDecision(warning=text, context=text)
                return EditDecision()
            result = client.create_claims(
                engineer=env.engineer,
                repo_id=env.repo_id,
                claims=[claim_item(p) for p in rels],
                branch=git.current_branch(root),
                description=f"auto-claimed by the {tool} edit hook",
                ttl_hours=cfg.hook_ttl_hours,
            )
            return EditDecision(claimed=list(result.get("claims") or []))
    except CoordUnreachable as exc:
        return EditDecision(
            warning=f"coord unreachable, edit allowed without a claim check: {exc.detail}. "
            "Start it with `coord start` or check COORD_API_URL (`coord doctor`)."
        )
    except CoordError as exc:
        if exc.status == 409:
            return EditDecision(deny_reason=_deny_text(exc.conflicts, exc.suggestion))
        fix = " Run `coord doctor`." if exc.status in (401, 403) else ""
        return EditDecision(
            warning=f"coord could not check this edit ({exc.status} {exc.error}: {exc.detail}); edit allowed.{fix}"
        )


def claude_paths(payload: dict[str, Any]) -> list[str]:
    tool_input = payload.get("tool_input") or {}
    if not isinstance(tool_input, dict):
        return []
    paths = []
    for key in ("file_path", "notebook_path", "path"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            paths.append(value)
    return paths


_PATCH_PREFIXES = ("*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ")


def patch_paths(patch: str) -> list[str]:
    """Target paths of a Codex `apply_patch` envelope."""
    found = []
    for line in patch.splitlines():
        for prefix in _PATCH_PREFIXES:
            if line.startswith(prefix):
                path = line[len(prefix) :].strip()
                if path and path not in found:
                    found.append(path)
    return found


def codex_paths(payload: dict[str, Any]) -> list[str]:
    tool_input = payload.get("tool_input")
    if isinstance(tool_input, str):
        return patch_paths(tool_input)
    if not isinstance(tool_input, dict):
        return []
    paths = []
    for key in ("command", "patch", "input"):
        value = tool_input.get(key)
        if isinstance(value, str):
            paths += patch_paths(value)
        elif isinstance(value, list):
            paths += patch_paths("\n".join(str(v) for v in value))
    paths += claude_paths(payload)
    return list(dict.fromkeys(paths))


# -- pre-push and CI ----------------------------------------------------------


@dataclass
class VerifyOutcome:
    exit_code: int
    lines: list[str]


def _split_mine(answer: dict[str, Any], engineer: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(ours, theirs). Claims of the same person under another tool/instance count as ours:
    a push by alex is never blocked by alex's own agents."""
    ours = [c for c in answer.get("ours") or [] if isinstance(c, dict)]
    theirs = []
    me = clientenv.person_of(engineer)
    for c in answer.get("theirs") or []:
        if not isinstance(c, dict):
            continue
        if clientenv.person_of(str(c.get("engineer", ""))) == me:
            ours.append(c)
        else:
            theirs.append(c)
    return ours, theirs


def verify_paths(
    paths: Sequence[str],
    env: clientenv.ClientEnv,
    *,
    what: str,
    strict: bool,
    engineer: str | None = None,
) -> VerifyOutcome:
    """One `POST /claims/verify`; block (exit 1) when someone else holds a changed file."""
    engineer = engineer or env.engineer
    if not paths:
        return VerifyOutcome(0, [])
    try:
        with CoordClient.from_env(env, timeout=_timeout(PUSH_TIMEOUT_SEC)) as client:
            answer = client.verify(paths=list(paths), engineer=engineer, repo_id=env.repo_id)
    except CoordError as exc:
        kind = "unreachable" if isinstance(exc, CoordUnreachable) else f"error ({exc.status})"
        head = f"coord: service {kind}: {exc.detail}."
        if strict:
            return VerifyOutcome(1, [head, f"coord: {what} blocked because COORD_PREPUSH_STRICT=1."])
        return VerifyOutcome(0, [head, f"coord: {what} allowed without the claim check."])
    ours, theirs = _split_mine(answer, engineer)
    lines: list[str] = []
    if theirs:
        lines.append(f"coord: {what} blocked: {len(theirs)} changed file(s) are claimed by other engineers:")
        for c in theirs:
            lines.append(
                f"  {c.get('path')}: held by {c.get('engineer')} "
                f"(claim #{c.get('claim_id')} on {c.get('pattern')}, fence {c.get('fence')}, "
                f"expires {when(c.get('expires_at'))})"
            )
        lines.append(
            "coord: wait for the claim to expire or be released, ask the holder to release it"
            f"{_request_hint(theirs)}, or drop those changes. "
            "Override once (you take the risk): git push --no-verify."
        )
    if ours:
        files = sorted({str(c.get("path")) for c in ours})
        ids = sorted({int(c["claim_id"]) for c in ours if isinstance(c.get("claim_id"), int)})
        lines.append(
            f"coord: you hold claims on {len(files)} of these file(s): {', '.join(files)} "
            f"(claim {', '.join('#' + str(i) for i in ids)}); release them after pushing."
        )
        holders = sorted({str(c.get("engineer") or engineer) for c in ours})
        for holder in holders:
            held = sorted(
                {
                    int(c["claim_id"])
                    for c in ours
                    if isinstance(c.get("claim_id"), int) and str(c.get("engineer") or engineer) == holder
                }
            )
            if held:
                lines.append(f"  as {holder}: coord release --engineer {holder} {' '.join(map(str, held))}")
    return VerifyOutcome(1 if theirs else 0, lines)


def parse_push_lines(lines: Iterable[str]) -> list[tuple[str, str, str, str]]:
    refs = []
    for line in lines:
        parts = line.split()
        if len(parts) == 4:
            refs.append((parts[0], parts[1], parts[2], parts[3]))
    return refs


def pre_push(root: Path, remote: str, stdin_lines: Iterable[str]) -> VerifyOutcome:
    """The git pre-push check for every pushed ref (deletions skipped)."""
    clientenv.apply_local_env(os.environ, start=root)
    env = clientenv.resolve(start=root)
    strict = clientenv.truthy(os.environ.get("COORD_PREPUSH_STRICT"))
    changed: list[str] = []
    for _local_ref, local_sha, _remote_ref, remote_sha in parse_push_lines(stdin_lines):
        if git.is_zero(local_sha):
            continue
        try:
            files = git.changed_files_for_push(root, remote, local_sha, remote_sha)
        except git.GitError as exc:
            return VerifyOutcome(0, [f"coord: cannot list pushed files ({exc}); check skipped."])
        changed += [f for f in files if f not in changed]
    return verify_paths(changed, env, what="push", strict=strict)


def check_branch(root: Path, base: str, engineer: str | None, strict: bool = False) -> VerifyOutcome:
    """`coord check --base REF`: the branch's changes since it forked from REF."""
    clientenv.apply_local_env(os.environ, start=root)
    env = clientenv.resolve(start=root)
    files = git.changed_files_since(root, base)
    outcome = verify_paths(files, env, what="check", strict=strict, engineer=engineer)
    if outcome.exit_code == 0 and not outcome.lines:
        outcome.lines.append(f"coord: {len(files)} changed file(s) since {base}; none claimed by someone else.")
    return outcome
