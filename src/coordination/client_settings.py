"""Every client-side `COORD_*` variable in one object: what `coord`, the git hooks and
`coord-mcp` read from the environment and from `.coordination/local.env`.

Editors spawn `coord-mcp` with whatever env block the tracked MCP registration
carries -- usually placeholders (`set-me`, `example-org/example-repo`, the default
URL). The real values live in the gitignored `.coordination/local.env` of the
application repo. `ClientSettings.load()` resolves each variable like this
(first match wins):

1. a real value in the environment (a shell export, or a real value inlined in
   `.mcp.json`);
2. a real value in `local.env`, found by walking up from the working directory
   (like git looking for `.git/`), then from `COORD_PROJECT_DIR` /
   `CLAUDE_PROJECT_DIR`; only the keys of `envfile.ALLOWLIST` are read from it;
3. a placeholder (environment first), kept so that "placeholder" and "unset" can
   be told apart;
4. the field's default.

Empty and blank values mean unset (`env_ignore_empty`). A documented placeholder
(`coordination.placeholders`, `envfile.PLACEHOLDERS`) counts as "not configured".
Legacy aliases (`envfile.ALIASES`) count as the same variable, the primary name
first. One exception, shared with the edit gate so both compute the same engineer
id: `COORD_PERSON` from `local.env` beats the environment's.

A value that does not parse (`COORD_HOOK_TIMEOUT_SEC=soon`) never stops a hook or
the bridge: it is reported on the `coord.settings` logger and the default applies.
The edit gate (`coordination.gate`) reads the same file with the standard library
only; it does not import this module.
"""

from __future__ import annotations

import contextvars
import io
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import Field, PrivateAttr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from coordination import envfile

__all__ = [
    "ENV_PREFIX",
    "LOCAL_ENV_RELPATH",
    "PROJECT_DIR_VARS",
    "ClientSettings",
    "find_local_env",
    "parse_env_text",
    "read_local_env",
    "variable_of",
]

log = logging.getLogger("coord.settings")

ENV_PREFIX = "COORD_"
LOCAL_ENV_RELPATH = Path(*envfile.LOCAL_ENV_PARTS)

#: Where to look when the walk-up from the working directory finds nothing (an
#: editor that starts MCP servers outside the project): these env vars name the project.
PROJECT_DIR_VARS = ("COORD_PROJECT_DIR", "CLAUDE_PROJECT_DIR")

#: Fields whose `local.env` value beats the environment's (the edit gate reads them so).
_FILE_FIRST = frozenset({"person"})


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


def parse_env_text(text: str) -> dict[str, str]:
    """A dotenv text as python-dotenv reads it: `KEY=value`, optional `export`, quotes,
    `#` comments. No `${VAR}` expansion (the edit gate does none either); a key without
    `=` is dropped."""
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {key: value for key, value in values.items() if value is not None}


def read_local_env(path: Path) -> dict[str, str]:
    """The allowlisted keys of a `local.env` (an unreadable file gives none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return envfile.allowed(parse_env_text(text))


def variable_of(field_name: str) -> str:
    """The primary variable name of a field (`auth_token` -> `COORD_AUTH_TOKEN`)."""
    return ENV_PREFIX + field_name.upper()


def _names(field_name: str) -> list[str]:
    primary = variable_of(field_name)
    return [primary, *[alias for alias, target in envfile.ALIASES.items() if target == primary]]


# -- the sources --------------------------------------------------------------------

Layer = Literal["real", "file-first", "placeholder"]


@dataclass
class _Inputs:
    """What one `load()` reads, and which source gave each field (filled by the sources)."""

    environ: Mapping[str, str]
    local_env: Path | None
    file_values: dict[str, str]
    found: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # field -> (rank, origin, raw)

    @classmethod
    def gather(cls, environ: Mapping[str, str], start: Path | None, read_file: bool = True) -> _Inputs:
        path = find_local_env(start, environ) if read_file else None
        return cls(dict(environ), path, read_local_env(path) if path else {})


_INPUTS: contextvars.ContextVar[_Inputs | None] = contextvars.ContextVar("coord_client_settings", default=None)


class _LayerSource(PydanticBaseSettingsSource):
    """One layer of the lookup: real or placeholder values of one mapping (the
    environment or local.env), keyed by field name so that layers merge by rank."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        inputs: _Inputs,
        *,
        label: str,
        values: Mapping[str, str],
        layer: Layer,
        rank: int,
    ) -> None:
        super().__init__(settings_cls)
        ignore_empty = bool(self.config.get("env_ignore_empty"))
        self.values = {k: v for k, v in values.items() if not (ignore_empty and v == "")}
        self.inputs, self.label, self.layer, self.rank = inputs, label, layer, rank

    def _applies(self, field_name: str) -> bool:
        if self.label == "local.env" and variable_of(field_name) not in envfile.ALLOWLIST:
            return False
        if self.label == "env" and self.layer == "real":
            return field_name not in _FILE_FIRST
        if self.layer == "file-first":
            return field_name in _FILE_FIRST
        return True

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        for name in _names(field_name):
            value = self.values.get(name)
            if value is None or not value.strip():
                continue
            placeholder = envfile.is_placeholder(name, value)
            if placeholder == (self.layer == "placeholder"):
                return value.strip(), name, False
        return None, "", False

    def __call__(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field_name, info in self.settings_cls.model_fields.items():
            if not self._applies(field_name):
                continue
            value, name, _ = self.get_field_value(info, field_name)
            if value is None:
                continue
            data[field_name] = value
            origin = f"{self.label}:{name}" + (" (placeholder)" if self.layer == "placeholder" else "")
            known = self.inputs.found.get(field_name)
            if known is None or known[0] > self.rank:
                self.inputs.found[field_name] = (self.rank, origin, value)
        return data


# -- the settings -------------------------------------------------------------------


class ClientSettings(BaseSettings):
    """Client settings; each field is the variable COORD_<NAME> (docs/usage-guide.md#client-settings)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", env_ignore_empty=True)

    api_url: str | None = Field(None, description="URL of the coord service (alias COORD_SERVICE_URL)")
    auth_token: str | None = Field(None, repr=False, description="Bearer token (alias COORD_TOKEN)")
    repo_id: str | None = Field(None, description="Repository id the claims belong to")
    engineer: str | None = Field(None, description="Engineer id person/tool/instance")
    person: str | None = Field(None, description="Short name for the default engineer id <person>/<tool>/main")
    tool: str | None = Field(None, description="Tool part of the default engineer id (set by the MCP registrations)")
    session_id: str | None = Field(None, description="Session id sent as X-Coord-Session")
    project_dir: Path | None = Field(None, description="Where to look for local.env when the walk-up finds none")
    disable_client_validation: bool = Field(False, description="Skip the local symbol check before claiming")
    prepush_strict: bool = Field(False, description="Block a push when the service cannot be reached")
    hook_timeout_sec: float | None = Field(None, gt=0, description="HTTP timeout of hook calls")
    activity_interval_sec: float | None = Field(
        None, ge=0, description="Edit gate: seconds between activity reports (read by the gate itself)"
    )
    heartbeat_interval_sec: float = Field(60.0, description="coord-mcp heartbeat interval; 0 turns it off")
    mcp_log_level: str = Field("WARNING", description="coord-mcp log level (stderr)")
    no_update_check: bool = Field(False, description="No 'update available' notice")
    home: Path = Field(Path("~/.coord"), description="coord start state directory (token, state.json)")

    _local_env: Path | None = PrivateAttr(default=None)
    _found: dict[str, tuple[int, str, str]] = PrivateAttr(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        inputs = _INPUTS.get() or _Inputs.gather(os.environ, None)
        env, file = inputs.environ, inputs.file_values
        layers: list[tuple[str, Mapping[str, str], Layer]] = [
            ("env", env, "real"),
            ("local.env", file, "real"),
            ("env", env, "file-first"),
            ("env", env, "placeholder"),
            ("local.env", file, "placeholder"),
        ]
        return (
            init_settings,
            *(
                _LayerSource(settings_cls, inputs, label=label, values=values, layer=layer, rank=rank)
                for rank, (label, values, layer) in enumerate(layers, start=1)
            ),
        )

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, start: Path | None = None, *, read_file: bool = True
    ) -> ClientSettings:
        """The settings from `environ` (default: the process environment) and the
        `local.env` found from `start` (default: cwd); `read_file=False` reads no file."""
        inputs = _Inputs.gather(os.environ if environ is None else environ, start, read_file)
        defaults: dict[str, Any] = {}
        with _using(inputs):
            try:
                settings = cls()
            except ValidationError as exc:
                for error in exc.errors():
                    name = str(error["loc"][0]) if error["loc"] else ""
                    if name in cls.model_fields and name not in defaults:
                        raw = inputs.found.get(name, (0, "", ""))[2]
                        log.warning(
                            "coord: ignoring %s=%r (%s); the default applies", variable_of(name), raw, error["msg"]
                        )
                        defaults[name] = cls.model_fields[name].get_default(call_default_factory=True)
                inputs.found.clear()
                settings = cls(**defaults)
        settings._local_env = inputs.local_env
        settings._found = {k: v for k, v in inputs.found.items() if k not in defaults}
        return settings

    @property
    def local_env(self) -> Path | None:
        """The `.coordination/local.env` that was read, if any."""
        return self._local_env

    def origin(self, field_name: str) -> str:
        """Where a field's value came from: `env:COORD_X`, `local.env:COORD_X`, either with
        ` (placeholder)`, or `unset` (the default applies)."""
        found = self._found.get(field_name)
        return found[1] if found else "unset"

    def raw(self, field_name: str) -> str | None:
        """The text a field was read from (None when the default applies)."""
        found = self._found.get(field_name)
        return found[2] if found else None


@contextmanager
def _using(inputs: _Inputs) -> Iterator[None]:
    token = _INPUTS.set(inputs)
    try:
        yield
    finally:
        _INPUTS.reset(token)
