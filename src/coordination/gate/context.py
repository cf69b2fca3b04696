"""Who is calling the edit gate, from where: the repo, its settings, the engineer and session (standard library only).

The gate finds the repo by walking up to `.coordination/local.env`, reads the
`[hook]` settings of `.coordination/config.toml` and the branch from `.git/HEAD`,
and turns the tool's paths into repo-relative ones. No git subprocess, no tomllib:
this runs on every hook call (`coordination.gate.run`).
"""

from __future__ import annotations

import os

from coordination import envfile
from coordination.core import identity

# typing is not imported at run time: the gate pays for every import on every call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from coordination.gate.dialects import ToolEvent

__all__ = [
    "MAX_SESSION_ID_LENGTH",
    "SKIPPED_DIRS",
    "Context",
    "branch",
    "context",
    "engineer_for",
    "find_root",
    "hook_settings",
    "read_text",
    "repo_paths",
    "session_of",
]

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


def read_text(path: str) -> str | None:
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


def context(ev: ToolEvent, environ: dict[str, str]) -> Context | None:
    starts = [s for s in [ev.cwd, *ev.roots, environ.get("CLAUDE_PROJECT_DIR"), os.getcwd()] if s]
    root = find_root(starts)
    if root is None:
        return None
    values = envfile.allowed(envfile.parse_env_file(read_text(os.path.join(root, *envfile.LOCAL_ENV_PARTS)) or ""))
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
    hook = hook_settings(read_text(os.path.join(root, ".coordination", "config.toml")) or "")
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
        text = read_text(git) or ""
        if not text.startswith("gitdir:"):
            return None
        git = os.path.join(root, text.split(":", 1)[1].strip())
    head = (read_text(os.path.join(git, "HEAD")) or "").strip()
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
