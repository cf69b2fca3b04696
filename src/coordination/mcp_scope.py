"""Who one MCP tool call acts for (`CallScope`), and the backend each transport provides (`ToolBackend`).

- `coord-mcp` (stdio, `coordination.mcp_bridge`): the scope comes from the resolved
  client environment and the client talks HTTP to the configured service.
- `/mcp` on the service (`coordination.api.mcp_backend`): the scope comes from the
  request headers and the client is wired to the app itself, in-process.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError

from coordination.client import CoordClient

__all__ = ["CallScope", "Context", "ToolBackend"]


@dataclass(frozen=True)
class CallScope:
    """Who one tool call acts for, and the API client it goes through."""

    client: CoordClient
    repo_id: str | None
    engineer: str | None
    session_id: str | None
    local_root: Path | None = None  # set when the repo is on this machine: symbols are pre-checked
    engineer_hint: str = "set COORD_ENGINEER"

    def repo(self, given: str | None) -> str:
        if given and given.strip():
            return given.strip()
        if self.repo_id:
            return self.repo_id
        raise ToolError("repo_id is required: pass repo_id or send the X-Coord-Repo header")

    def who(self, given: str | None) -> str:
        if given and given.strip():
            return given.strip()
        if self.engineer:
            return self.engineer
        raise ToolError(f"engineer is required: pass engineer or {self.engineer_hint}")


class ToolBackend(Protocol):
    def scope(self, ctx: Context) -> CallScope: ...

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]: ...

    def whoami(self, scope: CallScope) -> dict[str, Any]: ...
