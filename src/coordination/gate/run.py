"""`coord-gate <tool> <event>`: the editor gate's entry point (standard library only).

One process per hook call, so it is built for start-up time: no third-party
imports, no git subprocess, one HTTP round trip. It finds the repo by walking
up to `.coordination/local.env`, reads the branch from `.git/HEAD`, sends one
`POST /gate/...` and prints the tool's answer (see `coordination.gate.dialects`).

Failures: with `enforce = "standard"` (the default in `.coordination/config.toml`
`[hook]`) an unreachable or misconfigured service lets the edit through with a
visible warning; with `enforce = "strict"` the edit is refused.
"""

from __future__ import annotations

import os
import sys
import time

from coordination import envfile
from coordination.core import identity
from coordination.gate import dialects, fastjson

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TIMEOUT_SEC = 5.0
ACTIVITY_EVERY_SEC = 20.0
SKIPPED_DIRS = (".git", ".coordination")
# core.limits.MAX_SESSION_ID_LENGTH, not imported: that module loads dataclasses, which would
# cost every hook call ~15 ms (tests/gate/test_dialects.py checks the two agree).
MAX_SESSION_ID_LENGTH = 64


class Context:
    """Everything the gate knows about this repo and this caller."""

    __slots__ = ("root", "values", "api_url", "token", "repo_id", "engineer", "session", "on_edit", "ttl", "strict")

    def __init__(self, root: str, values: dict[str, str]) -> None:
        self.root = root
        self.values = values
        self.api_url = ""
        self.token: str | None = None
        self.repo_id = "default"
        self.engineer = ""
        self.session: str | None = None
        self.on_edit = "claim"
        self.ttl: float | None = None
        self.strict = False


# -- locating the repo ------------------------------------------------------------


def find_root(starts: list[str]) -> str | None:
    """The nearest directory at or above one of `starts` holding `.coordination/local.env`."""
    for start in starts:
        here = os.path.realpath(start)
        while True:
            if os.path.isfile(os.path.join(here, *envfile.LOCAL_ENV_PARTS)):
                return here
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
    return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return None


def hook_settings(text: str) -> dict[str, str]:
    """`on_edit`, `ttl_hours` and `enforce` of the `[hook]` table of config.toml.

    A line reader for these three scalar keys, so the gate does not pay for
    importing tomllib on every call; `coord doctor` validates the whole file.
    """
    found: dict[str, str] = {}
    table = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = line.strip("[] ")
            continue
        if table != "hook" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key in ("on_edit", "ttl_hours", "enforce"):
            found[key] = value.strip("\"'")
    return found


def session_of(raw: str | None) -> str | None:
    """The coord session id for a tool session id: the same text when it is a valid
    session id (a UUID is), else its letters, digits, '-' and '_' (at most MAX_SESSION_ID_LENGTH)."""
    if not raw:
        return None
    clean = "".join(ch for ch in raw if ch.isalnum() or ch in "-_")[:MAX_SESSION_ID_LENGTH]
    return clean or None


def context(ev: dialects.ToolEvent, environ: dict[str, str]) -> Context | None:
    starts = [s for s in [ev.cwd, *ev.roots, environ.get("CLAUDE_PROJECT_DIR"), os.getcwd()] if s]
    root = find_root(starts)
    if root is None:
        return None
    values = envfile.allowed(envfile.parse_env_file(_read(os.path.join(root, *envfile.LOCAL_ENV_PARTS)) or ""))
    ctx = Context(root, values)
    api_url, _ = envfile.pick("COORD_API_URL", environ, values)
    ctx.api_url = (api_url or envfile.DEFAULT_API_URL).rstrip("/")
    token, _ = envfile.pick("COORD_AUTH_TOKEN", environ, values)
    ctx.token = token if not envfile.is_placeholder("COORD_AUTH_TOKEN", token) else None
    repo_id, _ = envfile.pick("COORD_REPO_ID", environ, values)
    ctx.repo_id = repo_id or "default"
    ctx.engineer = identity.with_agent(engineer_for(ev.tool, environ, values), ev.agent)
    sid, _ = envfile.pick("COORD_SESSION_ID", environ, values)
    ctx.session = session_of(sid or ev.session)
    hook = hook_settings(_read(os.path.join(root, ".coordination", "config.toml")) or "")
    ctx.on_edit = hook.get("on_edit", "claim") if hook.get("on_edit") in ("claim", "warn", "off") else "claim"
    try:
        ttl = float(hook["ttl_hours"]) if "ttl_hours" in hook else None
        ctx.ttl = ttl if ttl and ttl > 0 else None
    except ValueError:
        ctx.ttl = None
    ctx.strict = hook.get("enforce") == "strict"
    return ctx


def engineer_for(tool: str, environ: dict[str, str], values: dict[str, str]) -> str:
    """COORD_ENGINEER when configured, else `<COORD_PERSON>/<tool>/main` (init writes
    COORD_PERSON), else the login name: never a git subprocess."""
    engineer, _ = envfile.pick("COORD_ENGINEER", environ, values)
    if engineer and not envfile.is_placeholder("COORD_ENGINEER", engineer):
        return engineer
    person = values.get("COORD_PERSON") or environ.get("COORD_PERSON") or environ.get("USER") or "someone"
    slug = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in person.strip().lower()).strip("-")
    return f"{slug or 'someone'}/{tool}/main"


def branch(root: str) -> str | None:
    """The checked-out branch from `.git/HEAD` (a worktree's `.git` file is followed)."""
    git = os.path.join(root, ".git")
    if os.path.isfile(git):
        text = _read(git) or ""
        if not text.startswith("gitdir:"):
            return None
        git = os.path.join(root, text.split(":", 1)[1].strip())
    head = (_read(os.path.join(git, "HEAD")) or "").strip()
    prefix = "ref: refs/heads/"
    return head[len(prefix) :] if head.startswith(prefix) else None


def repo_paths(root: str, cwd: str, paths: list[str]) -> list[str]:
    """Repo-relative POSIX paths inside `root` (outside, `.git/` and `.coordination/` dropped)."""
    found: list[str] = []
    for raw in paths:
        if not raw:
            continue
        full = raw if os.path.isabs(raw) else os.path.join(cwd, raw)
        full = os.path.realpath(full)
        rel = os.path.relpath(full, root)
        if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
            continue
        rel = rel.replace(os.sep, "/")
        if rel.split("/", 1)[0] in SKIPPED_DIRS:
            continue
        if rel not in found:
            found.append(rel)
    return found


# -- one HTTP round trip ------------------------------------------------------------


class CallFailed(Exception):
    pass


def call(ctx: Context, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST `body` as JSON; the decoded answer (2xx) or CallFailed with a readable reason."""
    scheme, host, port, prefix = split_url(ctx.api_url)
    data = fastjson.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data)), "Connection": "close"}
    if ctx.token:
        headers["Authorization"] = f"Bearer {ctx.token}"
    if ctx.session:
        headers["X-Coord-Session"] = ctx.session
    try:
        if scheme == "https":
            import http.client

            conn = http.client.HTTPSConnection(host, port, timeout=timeout)
            conn.request("POST", prefix + path, body=data, headers=headers)
            resp = conn.getresponse()
            status, raw = resp.status, resp.read()
            conn.close()
        else:
            status, raw = _plain_post(host, port, prefix + path, data, headers, timeout)
    except OSError as exc:
        raise CallFailed(f"coord unreachable at {ctx.api_url} ({exc.__class__.__name__}: {exc})") from None
    try:
        answer = fastjson.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if status >= 300:
        hint = " Check COORD_AUTH_TOKEN (`coord doctor`)." if status in (401, 403) else ""
        detail = answer.get("detail") or raw[:200].decode(errors="replace")
        raise CallFailed(f"coord answered {status} {answer.get('error', '')}: {detail}.{hint}")
    return answer


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path prefix) of `http[s]://host[:port][/prefix]`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    hostport, _, prefix = rest.partition("/")
    host, port = hostport, 443 if scheme == "https" else 80
    if hostport.startswith("["):  # [::1]:8080
        host, _, tail = hostport[1:].partition("]")
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif ":" in hostport:
        name, _, num = hostport.rpartition(":")
        if num.isdigit():
            host, port = name, int(num)
    return scheme.lower(), host or "127.0.0.1", port, ("/" + prefix).rstrip("/")


def _plain_post(
    host: str, port: int, path: str, data: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """HTTP/1.1 POST over a plain socket (http.client pulls in the email package: ~10 ms)."""
    import _socket  # `socket` itself imports enum (~5 ms); the C module is all we need

    # An ASCII host as bytes: a str host makes getaddrinfo load the idna codec (~5 ms).
    address = host.encode("ascii") if host.isascii() else host
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    error: OSError | None = None
    sock = None
    for family, kind, proto, _name, sockaddr in _socket.getaddrinfo(address, port, 0, _socket.SOCK_STREAM):
        candidate = _socket.socket(family, kind, proto)
        try:
            candidate.settimeout(timeout)
            candidate.connect(sockaddr)
        except OSError as exc:
            candidate.close()
            error = exc
            continue
        sock = candidate
        break
    if sock is None:
        raise error or OSError(f"no address for {host}")
    chunks = []
    try:
        sock.sendall(head.encode("latin-1") + b"\r\n" + data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        sock.close()
    raw = b"".join(chunks)
    header, _, body = raw.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise OSError(f"not an HTTP answer from {host}:{port}") from None
    if any(line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower() for line in lines[1:]):
        body = _dechunk(body)
    return status, body


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


# -- answers --------------------------------------------------------------------------


def when(iso: Any) -> str:
    if not isinstance(iso, str) or not iso:
        return "an unknown time"
    moment = utc_epoch(iso)
    if moment is None:
        return iso
    left = int(moment - time.time())
    if left <= 0:
        return f"{iso} (expired)"
    hours, rest = divmod(left, 3600)
    rel = f"{hours}h{rest // 60:02d}m" if hours else f"{max(rest // 60, 1)}m"
    return f"{iso} (in {rel})"


def utc_epoch(iso: str) -> float | None:
    """Seconds since the epoch of the server's `YYYY-MM-DDTHH:MM:SS[.f]Z` (no datetime import)."""
    try:
        year, month, day = int(iso[0:4]), int(iso[5:7]), int(iso[8:10])
        hour, minute, second = int(iso[11:13]), int(iso[14:16]), int(iso[17:19])
    except ValueError:
        return None
    if not iso.endswith(("Z", "+00:00")) or not 1 <= month <= 12:
        return None
    # days from civil (Howard Hinnant's algorithm)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def deny_reason(answer: dict[str, Any], ctx: Context) -> str:
    parts = []
    ids = []
    for c in answer.get("conflicts") or []:
        if not isinstance(c, dict):
            continue
        what = c.get("requested_pattern") or c.get("pattern")
        symbols = c.get("symbols") or []
        if symbols:
            what = f"{', '.join(map(str, symbols))} in {what}"
        scope = f" on {c.get('pattern')}" if c.get("pattern") and c.get("pattern") != c.get("requested_pattern") else ""
        parts.append(
            f"{what} is claimed by {c.get('engineer')} (claim #{c.get('claim_id')}{scope}, "
            f"expires {when(c.get('expires_at'))})"
        )
        if isinstance(c.get("claim_id"), int):
            ids.append(c["claim_id"])
    holders = sorted({str(c.get("engineer")) for c in answer.get("conflicts") or [] if isinstance(c, dict)})
    ask = f" (`coord request-release {min(ids)} --reason '...'`)" if ids else ""
    text = (
        f"coord refused this write: {'; '.join(parts)}. You are {ctx.engineer}. Do not write it now: work on "
        f"files nobody holds, wait until the claim expires or is released, or ask {', '.join(holders)} to "
        f"release it{ask}."
    )
    if answer.get("suggestion"):
        text += f" coord suggests: {answer['suggestion']}"
    return text


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
        out, code = dialects.deny(tool, event, deny_reason(answer, ctx))
        emit(out, stdout)
        return code
    if answer.get("warning"):
        text = deny_reason(answer, ctx).replace("coord refused this write", "coord warning (mode warn)", 1)
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
    held = [c for c in answer.get("claims") or [] if isinstance(c, dict)]
    text = f"coord: you are {ctx.engineer} (session {ctx.session}, repo {ctx.repo_id})."
    if held:
        listed = ", ".join(f"{c.get('pattern')} (#{c.get('id')}, expires {c.get('expires_at')})" for c in held[:20])
        text += f" You hold {len(held)} claim(s): {listed}."
    text += " Edits to files other engineers hold are refused; files you edit are claimed for this session."
    emit(dialects.note(tool, event, text), stdout)
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
    new = [r for r in answer.get("recorded") or [] if isinstance(r, dict) and r.get("new")]
    if new:
        listed = "; ".join(f"{r.get('path')} (held by {r.get('holder')}, claim #{r.get('claim_id')})" for r in new)
        emit(
            dialects.note(
                tool,
                event,
                f"coord: this write changed files another engineer holds: {listed}. It was recorded and the "
                "holder was told. Undo it or agree with the holder before going on.",
                warning=True,
            ),
            stdout,
        )
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
    return hook_settings(_read(os.path.join(root, ".coordination", "config.toml")) or "").get("enforce") == "strict"


if __name__ == "__main__":
    sys.exit(main())
