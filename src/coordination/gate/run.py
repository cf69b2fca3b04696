"""`coord-gate <tool> <event>`: the editor gate's entry point (standard library only).

One process per hook call, so it is built for start-up time: no third-party
imports, no git subprocess, one HTTP round trip. It finds the repo by walking
up to `.coordination/local.env` (`coordination.gate.context`), sends one
`POST /gate/...` (`coordination.gate.http_call`) and prints the tool's answer (see
`coordination.gate.dialects`; the texts are in `coordination.gate.messages`).

Failures: with `enforce = "standard"` (the default in `.coordination/config.toml`
`[hook]`) an unreachable or misconfigured service lets the edit through with a
visible warning; with `enforce = "strict"` the edit is refused.
"""

from __future__ import annotations

import os
import sys
import time

from coordination import envfile
from coordination.gate import dialects, fastjson
from coordination.gate.context import (
    MAX_SESSION_ID_LENGTH,
    Context,
    branch,
    context,
    engineer_for,
    find_root,
    hook_settings,
    read_text,
    repo_paths,
    session_of,
)
from coordination.gate.http_call import CallFailed, call, split_url

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The entry points, and the helpers callers have always reached here.
__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "branch",
    "engineer_for",
    "find_root",
    "handle",
    "hook_settings",
    "main",
    "record_agent_session",
    "repo_paths",
    "session_of",
    "split_url",
]

TIMEOUT_SEC = 5.0
ACTIVITY_EVERY_SEC = 20.0


def emit(out: dict[str, Any] | None, stdout: Any) -> None:
    if out is not None:
        stdout.write(fastjson.dumps(out) + "\n")


# -- the events -----------------------------------------------------------------------


def _number(ctx: Context | None, environ: dict[str, str], key: str, default: float) -> float:
    raw = environ.get(key) or (ctx.values.get(key) if ctx else None)
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value >= 0 else default


def _timeout(environ: dict[str, str], ctx: Context | None = None) -> float:
    return _number(ctx, environ, "COORD_HOOK_TIMEOUT_SEC", TIMEOUT_SEC) or TIMEOUT_SEC


def _failed(tool: str, event: str, ctx: Context, reason: str, stdout: Any, stderr: Any) -> int:
    if ctx.strict and event in ("pre-tool-use", "before-shell"):
        out, code = dialects.deny(
            tool, event, f"{reason} Edits are refused while coord cannot check them (enforce = strict)."
        )
        emit(out, stdout)
        return code
    stderr.write(f"coord: {reason} The write was allowed without a claim check.\n")
    text = f"coord warning: {reason} (write allowed unchecked)"
    emit(dialects.note(tool, event, text, warning=True, context=False), stdout)
    return 0


def _shell_targets(ev: dialects.ToolEvent, cwd: str) -> tuple[list[str], list[str]]:
    from coordination.gate import shell

    result = shell.write_targets(ev.command or "", is_dir=lambda p: os.path.isdir(os.path.join(cwd, p)))
    return result.targets, result.unseen


def _touch(ctx: Context, environ: dict[str, str]) -> None:
    """Count this call as session activity, at most every ACTIVITY_EVERY_SEC (a stamp file)."""
    if not ctx.session:
        return
    stamp = os.path.join(ctx.root, ".coordination", "run", f"seen-{ctx.session}")
    try:
        if time.time() - os.stat(stamp).st_mtime < _number(
            ctx, environ, "COORD_ACTIVITY_INTERVAL_SEC", ACTIVITY_EVERY_SEC
        ):
            return
    except OSError:
        pass
    try:
        call(ctx, f"/sessions/{ctx.session}/heartbeat", {}, _timeout(environ, ctx))
    except CallFailed:
        return
    try:
        os.makedirs(os.path.dirname(stamp), mode=0o700, exist_ok=True)
        with open(stamp, "w"):
            pass
    except OSError:
        pass


def record_agent_session(ctx: Context, ending: bool = False) -> None:
    """Tell the tool's MCP bridge which session this is (see envfile.agent_session_path)."""
    if not ctx.session:
        return
    pid = os.getppid()
    path = envfile.agent_session_path(ctx.root, pid)
    try:
        if ending:
            os.unlink(path)
            return
        if envfile.read_agent_session(ctx.root, pid) == ctx.session:
            return
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(ctx.session + "\n")
        os.replace(tmp, path)
    except OSError:
        pass


def handle(
    tool: str,
    event: str,
    payload: dict[str, Any],
    environ: dict[str, str],
    stdout: Any = sys.stdout,
    stderr: Any = sys.stderr,
) -> int:
    ev = dialects.parse(tool, event, payload)
    if ev is None:
        return 0
    ctx = context(ev, environ)
    if ctx is None or ctx.on_edit == "off":
        return 0
    cwd = ev.cwd or (ev.roots[0] if ev.roots else None) or os.getcwd()
    timeout = _timeout(environ, ctx)
    record_agent_session(ctx, ending=ev.kind == "session-end")
    if ev.kind == "session-start":
        return _session_start(tool, event, ctx, stdout, timeout)
    if ev.kind == "session-end":
        if ctx.session:
            try:
                call(ctx, "/gate/session", _session_body("end", ctx), timeout)
            except CallFailed as exc:
                stderr.write(f"coord: could not release this session's claims: {exc}\n")
        return 0
    unseen: list[str] = []
    raw_paths = ev.paths
    if ev.command is not None:
        raw_paths, unseen = _shell_targets(ev, cwd)
    paths = repo_paths(ctx.root, cwd, raw_paths)
    if ev.kind == "post":
        if not paths:
            return 0
        return _post(tool, event, ctx, paths, stdout, stderr, timeout)
    if not paths:
        _touch(ctx, environ)
        return 0
    body = {
        "engineer": ctx.engineer,
        "repo_id": ctx.repo_id,
        "session_id": ctx.session,
        "paths": paths,
        "branch": branch(ctx.root),
        "tool": tool,
        "ttl_hours": ctx.ttl,
        "mode": "warn" if ctx.on_edit == "warn" else "claim",
    }
    try:
        answer = call(ctx, "/gate/edit", body, timeout)
    except CallFailed as exc:
        return _failed(tool, event, ctx, str(exc), stdout, stderr)
    if answer.get("decision") == "deny":
        from coordination.gate import messages

        out, code = dialects.deny(tool, event, messages.deny_reason(answer, ctx))
        emit(out, stdout)
        return code
    if answer.get("warning"):
        from coordination.gate import messages

        text = messages.deny_reason(answer, ctx).replace("coord refused this write", "coord warning (mode warn)", 1)
        emit(dialects.note(tool, event, text, warning=True), stdout)
    elif tool == "cursor":
        emit({}, stdout)
    return 0


def _session_body(event: str, ctx: Context) -> dict[str, Any]:
    return {"event": event, "session_id": ctx.session, "engineer": ctx.engineer, "repo_id": ctx.repo_id}


def _session_start(tool: str, event: str, ctx: Context, stdout: Any, timeout: float) -> int:
    if not ctx.session:
        return 0
    try:
        answer = call(ctx, "/gate/session", _session_body("start", ctx), timeout)
    except CallFailed as exc:
        emit(dialects.note(tool, event, f"coord warning: {exc}", warning=True), stdout)
        return 0
    from coordination.gate import messages

    emit(dialects.note(tool, event, messages.session_briefing(answer, ctx)), stdout)
    return 0


def _post(tool: str, event: str, ctx: Context, paths: list[str], stdout: Any, stderr: Any, timeout: float) -> int:
    body = {
        "engineer": ctx.engineer,
        "repo_id": ctx.repo_id,
        "session_id": ctx.session,
        "paths": paths,
        "source": "post-tool-use",
    }
    try:
        answer = call(ctx, "/gate/written", body, timeout)
    except CallFailed as exc:
        stderr.write(f"coord: could not record this write: {exc}\n")
        return 0
    from coordination.gate import messages

    warning = messages.written_warning(answer)
    if warning is not None:
        emit(dialects.note(tool, event, warning, warning=True), stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] not in dialects.TOOLS or args[1] not in dialects.EVENTS[args[0]]:
        sys.stderr.write(
            "usage: coord-gate TOOL EVENT\n"
            + "".join(f"  {t}: {', '.join(dialects.EVENTS[t])}\n" for t in dialects.TOOLS)
        )
        return 2
    try:
        raw = sys.stdin.read()
        payload = fastjson.loads(raw) if raw.strip() else {}
    except (OSError, ValueError):
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    try:
        return handle(args[0], args[1], payload, dict(os.environ))
    except Exception as exc:  # noqa: BLE001 - the gate reports its own bug instead of crashing
        sys.stderr.write(f"coord: the edit gate failed ({exc.__class__.__name__}: {exc}).\n")
        return 2 if _strict_anyway() else 1


def _strict_anyway() -> bool:
    root = find_root([os.getcwd()])
    if root is None:
        return False
    return hook_settings(read_text(os.path.join(root, ".coordination", "config.toml")) or "").get("enforce") == "strict"


if __name__ == "__main__":
    sys.exit(main())
