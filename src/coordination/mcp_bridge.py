"""`coord-mcp`: the MCP stdio bridge editors spawn to talk to coord as native tools.

- Transport: stdio (JSON-RPC on stdout); every log line goes to stderr.
- Configuration: `ClientSettings`, loaded once at start-up (walk up to
  `.coordination/local.env`; placeholders are overridden, real values win).
- Session: `COORD_SESSION_ID` or a fresh 16-hex id, sent on every call as
  `X-Coord-Session` and heartbeated every `COORD_HEARTBEAT_INTERVAL_SEC` (60 s).
- Tools: defined once in `coordination.mcp_tools` (the service's `/mcp` serves the same).
- Errors: every API or validation failure comes back as a readable MCP tool error
  (`is_error=True`); the bridge itself never crashes on a tool call.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from coordination import __version__, clientenv, mcp_tools
from coordination.client import CoordClient, CoordError
from coordination.client_settings import ClientSettings
from coordination.core import validation
from coordination.mcp_calls import format_error
from coordination.mcp_scope import CallScope
from coordination.mcp_tools import INSTRUCTIONS

log = logging.getLogger("coord.mcp")

HEARTBEAT_INTERVAL_SEC: float = ClientSettings.model_fields["heartbeat_interval_sec"].default

__all__ = ["INSTRUCTIONS", "Bridge", "build_server", "main", "make_bridge"]

_format_error = format_error  # the name the tests and older imports use


class Bridge:
    """The stdio backend of the tools: resolved env, one API client, the heartbeat."""

    def __init__(self, env: clientenv.ClientEnv, client: CoordClient) -> None:
        self.env = env
        self.client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_heartbeat: dict[str, Any] | None = None
        self.last_heartbeat_error: str | None = None

    # -- the tool backend -----------------------------------------------------

    def adopt_tool_session(self) -> None:
        """Use the session id the tool's edit gate recorded for this tool process (our
        parent), so hook auto-claims and this bridge's claims share one coord session."""
        root = self.env.repo_root
        if root is None:
            return
        from coordination import envfile

        found = envfile.read_agent_session(str(root), os.getppid())
        if found and found != self.env.session_id and not validation.session_problem(found):
            log.info("adopting the edit gate's session %s", found)
            self.env = dataclasses.replace(self.env, session_id=found)
            self.client.set_session(found)

    def session_id(self) -> str:
        """The session id to send now (the tool's, once its edit gate has recorded it)."""
        self.adopt_tool_session()
        return self.env.session_id

    def scope(self, ctx: Any = None) -> CallScope:
        """Every call acts for the configured repo, engineer and session (the tool's
        session, once its edit gate has recorded one)."""
        self.adopt_tool_session()
        env = self.env
        return CallScope(
            client=self.client,
            repo_id=env.repo_id,
            engineer=env.engineer,
            session_id=env.session_id,
            local_root=(env.repo_root or Path.cwd()) if env.client_validation else None,
        )

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]:
        result = self.client.heartbeat(self.env.session_id, engineer=self.env.engineer, repo_id=repo_id)
        self.last_heartbeat, self.last_heartbeat_error = result, None
        return result

    def whoami(self, scope: CallScope) -> dict[str, Any]:
        info: dict[str, Any] = dict(self.env.describe())
        info.update(transport="stdio", version=__version__, last_heartbeat_error=self.last_heartbeat_error)
        return info

    # -- heartbeat ------------------------------------------------------------

    def heartbeat_once(self, with_notices: bool = True) -> dict[str, Any]:
        """Mark the session alive. Only a heartbeat the agent asked for collects its
        notices: the background one must not consume what the agent never sees."""
        self.adopt_tool_session()
        if with_notices:
            return self.heartbeat(self.scope(), self.env.repo_id)
        result = self.client.heartbeat(self.env.session_id)
        self.last_heartbeat, self.last_heartbeat_error = result, None
        return result

    def _beat(self) -> None:
        try:
            self.heartbeat_once(with_notices=False)
        except CoordError as exc:
            if self.last_heartbeat_error != exc.detail:
                log.warning("heartbeat failed: %s", exc.detail)
            self.last_heartbeat_error = exc.detail
        except Exception:  # noqa: BLE001 - the heartbeat thread must survive anything
            log.exception("heartbeat crashed")

    def _loop(self, interval: float) -> None:
        self._beat()
        while not self._stop.wait(interval):
            self._beat()

    def start_heartbeat(self, interval: float) -> None:
        if interval <= 0:
            return
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="coord-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def build_server(bridge: Bridge) -> Any:
    return mcp_tools.build_server(bridge)


def _configure_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="coord-mcp %(levelname)s %(name)s: %(message)s")


def make_bridge(
    environ: dict[str, str] | None = None, start: Path | None = None, settings: ClientSettings | None = None
) -> Bridge:
    env = clientenv.resolve(settings=settings or ClientSettings.load(environ, start))
    return Bridge(env, CoordClient.from_env(env))


def main() -> None:
    """Console script `coord-mcp`."""
    settings = ClientSettings.load()
    _configure_logging(settings.mcp_log_level)
    bridge = make_bridge(settings=settings)
    log.info(
        "coord-mcp %s: %s repo=%s engineer=%s session=%s token=%s",
        __version__,
        bridge.env.api_url,
        bridge.env.repo_id,
        bridge.env.engineer,
        bridge.env.session_id,
        "set" if not bridge.env.token_is_placeholder else "missing",
    )
    bridge.start_heartbeat(settings.heartbeat_interval_sec)
    server = build_server(bridge)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
    finally:
        bridge.stop()
        bridge.client.close()


if __name__ == "__main__":
    main()
