"""Client-side environment resolution shared by `coord-mcp`, the hooks and the CLI.

Editors spawn `coord-mcp` with whatever env block the tracked MCP registration
carries -- usually placeholders (`set-me`, `example-org/example-repo`, the default
URL). The real values live in the gitignored `.coordination/local.env` of the
application repo. Resolution, per allowlisted `COORD_*` key:

1. walk up from the working directory (like git looking for `.git/`) until a
   `.coordination/local.env` is found;
2. if the variable is unset or holds a documented placeholder, the value from
   `local.env` is used;
3. if the variable already holds a real value (a shell export, or a real value
   inlined in `.mcp.json`), that explicit value wins.

Legacy aliases count as the same variable: `COORD_SERVICE_URL` for
`COORD_API_URL` and `COORD_TOKEN` for `COORD_AUTH_TOKEN` (the primary name is
preferred when both are real).
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import secrets
import subprocess
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from coordination.envfile import (  # noqa: F401 - re-exported
    ALIASES,
    ALLOWLIST,
    DEFAULT_API_URL,
    PLACEHOLDER_REPO_ID,
    PLACEHOLDER_TOKEN,
    PLACEHOLDERS,
    is_placeholder,
    parse_env_file,
)

LOCAL_ENV_RELPATH = Path(".coordination") / "local.env"
CONFIG_RELPATH = Path(".coordination") / "config.toml"

_SESSION_RE = re.compile(r"^[0-9a-f]{16}$")


#: Where to look when the walk-up from the working directory finds nothing (an
#: editor that starts MCP servers outside the project): these env vars name the project.
PROJECT_DIR_VARS = ("COORD_PROJECT_DIR", "CLAUDE_PROJECT_DIR")


def find_local_env(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """Walk up from `start` (default: cwd) to the first `.coordination/local.env`;
    failing that, from `COORD_PROJECT_DIR` / `CLAUDE_PROJECT_DIR` when set."""
    env = os.environ if environ is None else environ
    starts = [start or Path.cwd()] + [Path(env[v]) for v in PROJECT_DIR_VARS if env.get(v)]
    for origin in starts:
        here = origin.expanduser().resolve()
        for directory in (here, *here.parents):
            candidate = directory / LOCAL_ENV_RELPATH
            if candidate.is_file():
                return candidate
    return None


def read_local_env(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    parsed = parse_env_file(text)
    return {k: v for k, v in parsed.items() if k in ALLOWLIST}


def _pick(primary: str, environ: Mapping[str, str], file_values: Mapping[str, str]) -> tuple[str | None, str]:
    """Return (value, source) for `primary`, honouring aliases and placeholders."""
    from coordination import envfile

    return envfile.pick(primary, dict(environ), dict(file_values))


def apply_local_env(environ: MutableMapping[str, str] | None = None, start: Path | None = None) -> Path | None:
    """Fill placeholder/unset `COORD_*` variables of `environ` from local.env, in place.

    Real values already present win. Returns the local.env used, if any.
    """
    env = os.environ if environ is None else environ
    path = find_local_env(start, env)
    if path is None:
        return None
    file_values = read_local_env(path)
    for key in ALLOWLIST:
        if key in ALIASES:
            continue
        value, source = _pick(key, env, file_values)
        if value is None or source == f"env:{key}":
            continue
        if not is_placeholder(key, value) or not env.get(key):
            env[key] = value
    return path


def normalize_session_id(value: str | None) -> str:
    """A 16-hex session id: `value` if it already is one, else a stable hash of it.

    With no value, a fresh random id.
    """
    if value is None or not value.strip():
        return secrets.token_hex(8)
    value = value.strip().lower()
    if _SESSION_RE.match(value):
        return value
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-").lower()
    return slug or "someone"


def default_person(cwd: Path | None = None) -> str:
    """Best guess at the human's short name: git user.email local part, user.name, $USER."""
    configured = os.environ.get("COORD_PERSON")
    if configured and configured.strip():
        return _slug(configured)
    for key in ("user.email", "user.name"):
        try:
            out = subprocess.run(
                ["git", "config", "--get", key],
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            return _slug(out.split("@", 1)[0])
    try:
        return _slug(getpass.getuser())
    except Exception:  # noqa: BLE001 - getuser can raise several kinds of error
        return "someone"


def default_engineer(tool: str = "cli", cwd: Path | None = None) -> str:
    """`person/tool/main`, the identity coord init writes when none is configured."""
    return f"{default_person(cwd)}/{tool}/main"


def person_of(engineer: str) -> str:
    """The person part of an engineer id (`alex/claude/main` -> `alex`)."""
    from coordination.core import identity

    return identity.person_of(engineer)


@dataclass(frozen=True)
class ClientEnv:
    """Resolved client configuration. `repr()` never shows the token."""

    api_url: str
    token: str | None = field(repr=False)
    token_source: str
    repo_id: str
    repo_id_source: str
    engineer: str
    engineer_source: str
    session_id: str
    api_url_source: str = "default"
    local_env: Path | None = None
    client_validation: bool = True

    @property
    def token_is_placeholder(self) -> bool:
        return is_placeholder("COORD_AUTH_TOKEN", self.token)

    @property
    def repo_id_is_placeholder(self) -> bool:
        return is_placeholder("COORD_REPO_ID", self.repo_id)

    @property
    def repo_root(self) -> Path | None:
        return self.local_env.parent.parent if self.local_env else None

    def headers(self) -> dict[str, str]:
        """Headers for every API call. No Authorization header for a placeholder token,
        so a misconfigured client fails with a clean 401 instead of sending `Bearer set-me`.
        """
        headers = {"X-Coord-Session": self.session_id}
        if not self.token_is_placeholder and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def describe(self) -> dict[str, object]:
        """Everything about the resolved config except secrets (for `whoami`, doctor)."""
        token_state = ("placeholder" if self.token else "unset") if self.token_is_placeholder else "set"
        return {
            "api_url": self.api_url,
            "api_url_source": self.api_url_source,
            "token": token_state,
            "token_source": self.token_source,
            "repo_id": self.repo_id,
            "repo_id_source": self.repo_id_source,
            "engineer": self.engineer,
            "engineer_source": self.engineer_source,
            "session_id": self.session_id,
            "local_env": str(self.local_env) if self.local_env else None,
            "client_validation": self.client_validation,
        }


_TRUTHY = {"1", "true", "yes", "on"}


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUTHY


def resolve(
    environ: Mapping[str, str] | None = None,
    start: Path | None = None,
    tool: str | None = None,
    session_id: str | None = None,
) -> ClientEnv:
    """Resolve the client configuration without mutating `environ`.

    `start` is where the walk-up for `.coordination/local.env` begins (default cwd).
    `session_id` overrides `COORD_SESSION_ID`; with neither, a fresh id is made.
    `tool` names the calling tool for the default engineer id (else `COORD_TOOL`,
    set by the MCP registrations, else `cli`).
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    tool = tool or env.get("COORD_TOOL") or "cli"
    path = find_local_env(start, env)
    file_values = read_local_env(path) if path else {}

    api_url, api_src = _pick("COORD_API_URL", env, file_values)
    token, token_src = _pick("COORD_AUTH_TOKEN", env, file_values)
    repo_id, repo_src = _pick("COORD_REPO_ID", env, file_values)
    engineer, eng_src = _pick("COORD_ENGINEER", env, file_values)
    if engineer is None or is_placeholder("COORD_ENGINEER", engineer):
        person = file_values.get("COORD_PERSON") or env.get("COORD_PERSON")
        if person and person.strip():
            engineer, eng_src = f"{_slug(person)}/{tool}/main", "local.env:COORD_PERSON"
        else:
            engineer, eng_src = default_engineer(tool, path.parent.parent if path else start), "default"
    sid_raw, _ = _pick("COORD_SESSION_ID", env, file_values)
    validation_off = env.get("COORD_DISABLE_CLIENT_VALIDATION") or file_values.get("COORD_DISABLE_CLIENT_VALIDATION")
    return ClientEnv(
        api_url=(api_url or DEFAULT_API_URL).rstrip("/"),
        api_url_source=api_src if api_url else "default",
        token=token,
        token_source=token_src,
        repo_id=repo_id or "default",
        repo_id_source=repo_src if repo_id else "default",
        engineer=engineer,
        engineer_source=eng_src,
        session_id=normalize_session_id(session_id or sid_raw),
        local_env=path,
        client_validation=not truthy(validation_off),
    )
