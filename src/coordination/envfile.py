"""The `.coordination/local.env` format and its placeholder rules, standard library only.

Shared by `clientenv` (CLI, MCP bridge, git hooks) and the editor gate, whose
hot path must not import anything heavier than this.
"""

from __future__ import annotations

from coordination import placeholders

DEFAULT_API_URL = "http://127.0.0.1:8080"
PLACEHOLDER_TOKEN = placeholders.TOKEN
PLACEHOLDER_REPO_ID = "example-org/example-repo"
LOCAL_ENV_PARTS = (".coordination", "local.env")

#: Values that mean "not configured" for the key that carries them.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "COORD_API_URL": frozenset({DEFAULT_API_URL, DEFAULT_API_URL + "/"}),
    "COORD_AUTH_TOKEN": placeholders.TOKENS,
    "COORD_REPO_ID": frozenset({PLACEHOLDER_REPO_ID}),
    "COORD_ENGINEER": frozenset({"set-me", "example/claude/main"}),
}

#: Legacy name -> primary name.
ALIASES: dict[str, str] = {
    "COORD_SERVICE_URL": "COORD_API_URL",
    "COORD_TOKEN": "COORD_AUTH_TOKEN",
}

#: Keys that `local.env` may provide. Anything else in the file is ignored.
ALLOWLIST: tuple[str, ...] = (
    "COORD_API_URL",
    "COORD_AUTH_TOKEN",
    "COORD_REPO_ID",
    "COORD_ENGINEER",
    "COORD_PERSON",
    "COORD_SESSION_ID",
    "COORD_DISABLE_CLIENT_VALIDATION",
    "COORD_PREPUSH_STRICT",
    "COORD_HOOK_TIMEOUT_SEC",
    "COORD_ACTIVITY_INTERVAL_SEC",
    "COORD_NO_UPDATE_CHECK",
    "COORD_SERVICE_URL",
    "COORD_TOKEN",
)


def is_placeholder(key: str, value: str | None) -> bool:
    """True when `value` is unset/empty or a documented placeholder for `key`."""
    if value is None or value.strip() == "":
        return True
    primary = ALIASES.get(key, key)
    return value.strip() in PLACEHOLDERS.get(primary, frozenset())


def _is_name(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text)


def parse_env_file(text: str) -> dict[str, str]:
    """Parse a dotenv-style file: `KEY=value`, optional `export`, quotes, `#` comments."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _is_name(key):
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in {"'", '"'}:
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def allowed(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k in ALLOWLIST}


def pick(primary: str, environ: dict[str, str] | object, file_values: dict[str, str]) -> tuple[str | None, str]:
    """Return (value, source) for `primary`, honouring aliases and placeholders:
    a real value in the environment wins, then a real value in local.env."""
    env = environ if isinstance(environ, dict) else dict(environ)  # type: ignore[call-overload]
    names = [primary, *[alias for alias, target in ALIASES.items() if target == primary]]
    candidates: list[tuple[str | None, str]] = []
    candidates += [(env.get(n), f"env:{n}") for n in names]
    candidates += [(file_values.get(n), f"local.env:{n}") for n in names]
    for value, source in candidates:
        if not is_placeholder(primary, value):
            assert value is not None
            return value.strip(), source
    for value, source in candidates:
        if value is not None and value.strip():
            return value.strip(), source + " (placeholder)"
    return None, "unset"


# -- one agent session, one coord session ---------------------------------------------
#
# A tool (Claude Code, Codex, Cursor) spawns both its hooks and its MCP servers. The
# edit gate knows the tool's session id (hook JSON) and is exec'd straight from the
# tool's `sh -c`, so its parent process is the tool; it records the session under the
# tool's pid. `coord-mcp`, also a child of the tool, reads the file for its parent pid
# and uses the same session id: the hook's auto-claims and the agent's own claims are
# one session, and the bridge's heartbeat keeps both alive.

RUN_PARTS = (".coordination", "run")


def agent_session_path(root: str, pid: int) -> str:
    import os

    return os.path.join(root, *RUN_PARTS, f"agent-{pid}.session")


def read_agent_session(root: str, pid: int) -> str | None:
    try:
        with open(agent_session_path(root, pid), encoding="utf-8") as fh:
            value = fh.read().strip()
    except OSError:
        return None
    return value or None
