"""Client-side configuration shared by `coord-mcp`, the hooks and the CLI: the resolved
`ClientEnv` (URL, token, repo, engineer, session) built from `ClientSettings`.

How each `COORD_*` variable is found (environment, the walked-up
`.coordination/local.env`, placeholders, legacy aliases) is described and
implemented once, in `coordination.client_settings`.
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

from coordination.client_settings import (  # noqa: F401 - re-exported
    LOCAL_ENV_RELPATH,
    PROJECT_DIR_VARS,
    ClientSettings,
    find_local_env,
    read_local_env,
    variable_of,
)
from coordination.client_settings import parse_env_text as parse_env_file  # noqa: F401 - re-exported
from coordination.envfile import (  # noqa: F401 - re-exported
    ALIASES,
    ALLOWLIST,
    DEFAULT_API_URL,
    PLACEHOLDER_REPO_ID,
    PLACEHOLDER_TOKEN,
    PLACEHOLDERS,
    is_placeholder,
)

CONFIG_RELPATH = Path(".coordination") / "config.toml"

_SESSION_RE = re.compile(r"^[0-9a-f]{16}$")

#: The settings field of each primary variable `local.env` may provide.
_FILE_FIELDS = {variable_of(name): name for name in ClientSettings.model_fields if variable_of(name) in ALLOWLIST}


def apply_local_env(environ: MutableMapping[str, str] | None = None, start: Path | None = None) -> Path | None:
    """Fill placeholder/unset `COORD_*` variables of `environ` from local.env, in place
    (for a child process that reads the environment only).

    Real values already present win. Returns the local.env used, if any.
    """
    env = os.environ if environ is None else environ
    settings = ClientSettings.load(env, start)
    if settings.local_env is None:
        return None
    for key, name in _FILE_FIELDS.items():
        value = settings.raw(name)
        if value is None or not is_placeholder(key, env.get(key)):
            continue
        if not is_placeholder(key, value) or not env.get(key):
            env[key] = value
    return settings.local_env


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


def default_person(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """Best guess at the human's short name: COORD_PERSON (environment), git user.email
    local part, user.name, $USER."""
    configured = ClientSettings.load(environ, read_file=False).person
    if configured:
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


def default_engineer(tool: str = "cli", cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> str:
    """`person/tool/main`, the identity coord init writes when none is configured."""
    return f"{default_person(cwd, environ)}/{tool}/main"


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


def resolve(
    environ: Mapping[str, str] | None = None,
    start: Path | None = None,
    tool: str | None = None,
    session_id: str | None = None,
    settings: ClientSettings | None = None,
) -> ClientEnv:
    """Resolve the client configuration without mutating `environ`.

    `start` is where the walk-up for `.coordination/local.env` begins (default cwd).
    `session_id` overrides `COORD_SESSION_ID`; with neither, a fresh id is made.
    `tool` names the calling tool for the default engineer id (else `COORD_TOOL`,
    set by the MCP registrations, else `cli`). `settings` replaces `environ` and
    `start` when already loaded.
    """
    settings = settings or ClientSettings.load(environ, start)
    tool = tool or settings.tool or "cli"
    path = settings.local_env
    engineer, eng_src = settings.engineer, settings.origin("engineer")
    if engineer is None or is_placeholder("COORD_ENGINEER", engineer):
        if settings.person:
            engineer, eng_src = f"{_slug(settings.person)}/{tool}/main", settings.origin("person")
        else:
            cwd = path.parent.parent if path else start
            engineer, eng_src = default_engineer(tool, cwd, environ), "default"
    api_url, token, repo_id = settings.api_url, settings.auth_token, settings.repo_id
    return ClientEnv(
        api_url=(api_url or DEFAULT_API_URL).rstrip("/"),
        api_url_source=settings.origin("api_url") if api_url else "default",
        token=token,
        token_source=settings.origin("auth_token"),
        repo_id=repo_id or "default",
        repo_id_source=settings.origin("repo_id") if repo_id else "default",
        engineer=engineer,
        engineer_source=eng_src,
        session_id=normalize_session_id(session_id or settings.session_id),
        local_env=path,
        client_validation=not settings.disable_client_validation,
    )
