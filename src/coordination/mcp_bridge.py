"""`coord-mcp`: the MCP stdio bridge editors spawn to talk to coord as native tools.

- Transport: stdio (JSON-RPC on stdout); every log line goes to stderr.
- Configuration: resolved once at start-up by `coordination.clientenv` (walk up to
  `.coordination/local.env`; placeholders are overridden, real values win).
- Session: `COORD_SESSION_ID` or a fresh 16-hex id, sent on every call as
  `X-Coord-Session` and heartbeated every `COORD_HEARTBEAT_INTERVAL_SEC` (60 s).
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
from typing import Any, Literal

from coordination import __version__, clientenv
from coordination.client import CoordClient, CoordError, CoordUnreachable, claim_item
from coordination.core import validation

try:  # mcp >= 2
    from mcp.server.mcpserver import MCPServer as _Server
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # pragma: no cover - mcp 1.x
    from mcp.server.fastmcp import FastMCP as _Server  # type: ignore[no-redef,attr-defined]
    from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[no-redef]

log = logging.getLogger("coord.mcp")

HEARTBEAT_INTERVAL_SEC = 60.0

INSTRUCTIONS = """\
coord coordinates many agents editing one repo. Before editing files, call
check_conflicts; claim what you will edit with claim_files (smallest scope; symbols
for single functions); never edit files someone else holds; extend_claims on long
tasks; release_claims when done. whoami shows your engineer id and the service."""


class Bridge:
    """The state shared by the tools: resolved env, one API client, the heartbeat."""

    def __init__(self, env: clientenv.ClientEnv, client: CoordClient) -> None:
        self.env = env
        self.client = client
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_heartbeat: dict[str, Any] | None = None
        self.last_heartbeat_error: str | None = None

    # -- heartbeat ------------------------------------------------------------

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

    def heartbeat_once(self, with_notices: bool = True) -> dict[str, Any]:
        """Mark the session alive. Only a heartbeat the agent asked for collects its
        notices: the background one must not consume what the agent never sees."""
        self.adopt_tool_session()
        if with_notices:
            result = self.client.heartbeat(self.env.session_id, engineer=self.env.engineer, repo_id=self.env.repo_id)
        else:
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

    # -- helpers ------------------------------------------------------------

    def engineer(self, given: str | None) -> str:
        return given.strip() if given and given.strip() else self.env.engineer

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one API call; turn every failure into a readable ToolError."""
        self.adopt_tool_session()
        try:
            return fn(*args, **kwargs)
        except CoordUnreachable as exc:
            raise ToolError(
                f"{what} failed: {exc.detail}. Is the coord service running (`coord start`, `coord doctor`)?"
            ) from None
        except CoordError as exc:
            raise ToolError(_format_error(what, exc)) from None


def _format_error(what: str, exc: CoordError) -> str:
    if exc.status == 409:
        lines = [f"{what}: CONFLICT - nothing was claimed. {exc.detail}"]
        for c in exc.conflicts:
            symbols = c.get("symbols") or []
            sym = f" symbols {', '.join(map(str, symbols))}" if symbols else ""
            lines.append(
                f"- {c.get('requested_pattern') or c.get('pattern')}: held by "
                f"{c.get('engineer')} (claim #{c.get('claim_id')} on {c.get('pattern')}{sym}, "
                f"expires {c.get('expires_at')})"
            )
        if exc.suggestion:
            lines.append(f"Suggestion: {exc.suggestion}")
        lines.append(
            "Do not edit these files. Claim something else, wait for the claim to expire, "
            "or ask the holder to release it."
        )
        return "\n".join(lines)
    if exc.status == 401:
        return (
            f"{what}: 401 unauthorized ({exc.detail}). The token is missing or wrong: set "
            "COORD_AUTH_TOKEN in .coordination/local.env (see `coord doctor`)."
        )
    return f"{what}: {exc.status} {exc.error}: {exc.detail}"


def _validate_symbols(env: clientenv.ClientEnv, symbols: dict[str, list[str]]) -> None:
    """Local pre-validation of symbol names against the file on disk (fails fast on typos).

    Skipped for files that do not exist yet, unsupported languages, or when
    COORD_DISABLE_CLIENT_VALIDATION=1. The service validates again.
    """
    if not env.client_validation or not symbols:
        return
    root = env.repo_root or Path.cwd()
    try:
        from coordination import parsers
    except Exception:  # noqa: BLE001 - validation is best effort
        return
    problems = []
    for path, wanted in symbols.items():
        file = root / path
        if not wanted or not file.is_file() or parsers.language_for(path) is None:
            continue
        try:
            known = parsers.symbols_for_file(path, file.read_bytes())
        except Exception as exc:  # noqa: BLE001 - unparsable file: let the service decide
            log.debug("symbol pre-validation skipped for %s: %s", path, exc)
            continue
        for name in wanted:
            if name not in known:
                close = parsers.closest_symbols(name, known, limit=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                problems.append(f"{path}: no symbol {name!r}{hint}")
    if problems:
        raise ToolError(
            "Unknown symbols, nothing was claimed:\n"
            + "\n".join(problems)
            + "\n(set COORD_DISABLE_CLIENT_VALIDATION=1 to skip this local check)"
        )


def build_server(bridge: Bridge) -> Any:
    server = _Server("coord", instructions=INSTRUCTIONS, version=__version__)
    env = bridge.env  # session ids: read bridge.env.session_id (it may adopt the tool's)

    @server.tool()
    def check_conflicts(
        paths: list[str],
        symbols: list[str] | None = None,
        engineer: str | None = None,
    ) -> dict[str, Any]:
        """Check whether editing these repo-relative paths would conflict with active
        claims, without claiming anything. `symbols` use `path::Name` (e.g.
        `src/router.ts::Router::handleAuth`)."""
        return dict(
            bridge.call(
                "check_conflicts",
                bridge.client.conflicts,
                paths=paths,
                repo_id=env.repo_id,
                engineer=bridge.engineer(engineer),
                symbols=symbols,
            )
        )

    @server.tool()
    def claim_files(
        patterns: list[str],
        engineer: str | None = None,
        symbols: dict[str, list[str]] | None = None,
        ttl_hours: float | None = None,
        description: str | None = None,
        branch: str | None = None,
        claim_type: Literal["file", "module", "shared_file"] = "file",
        wait_seconds: float | None = None,
        urgency: Literal["low", "normal", "high", "blocking"] | None = None,
    ) -> dict[str, Any]:
        """Claim files or globs (repo-relative, e.g. `src/auth/**`) before editing them.
        All-or-nothing: a conflict claims nothing and names the holders (then ask them
        with request_release). `symbols` maps a file to the declarations to claim
        (`{"src/a.ts": ["Router::handleAuth"]}`) so agents editing different functions
        of one file coexist. Engineer defaults to COORD_ENGINEER. `pending_requests`
        in the answer carries notices for you (narrowed scope, release requests).
        `wait_seconds` (max 900): if the scope is held, wait in the claim queue instead
        of failing; the call returns when the queue grants you the claims (the answer
        has `queue: {id, waited_sec}`) or fails when the wait ends. `urgency` orders the
        queue (blocking > high > normal > low). my_requests(queued=True) shows who you
        wait on; cancel_queue_request gives up a wait."""
        if wait_seconds is not None and not 0 <= wait_seconds <= 900:
            raise ToolError("wait_seconds must be between 0 and 900")
        symbols = symbols or {}
        _validate_symbols(env, symbols)
        items = [claim_item(p, claim_type, symbols.get(p)) for p in patterns]
        items += [claim_item(p, claim_type, s) for p, s in symbols.items() if p not in patterns]
        if not items:
            raise ToolError("claim_files needs at least one pattern")
        return dict(
            bridge.call(
                "claim_files",
                bridge.client.create_claims,
                engineer=bridge.engineer(engineer),
                claims=items,
                repo_id=env.repo_id,
                session_id=bridge.session_id(),
                branch=branch,
                description=description,
                ttl_hours=ttl_hours,
                wait_seconds=wait_seconds or None,
                urgency=urgency,
            )
        )

    @server.tool()
    def release_claims(
        claim_ids: list[int] | None = None,
        pattern: str | None = None,
        engineer: str | None = None,
        session_only: bool = False,
    ) -> dict[str, Any]:
        """Release your claims when done: the given ids, or those on exactly `pattern`,
        or all of the engineer's claims in this repo (only this session's with
        session_only). Only claims held by that exact engineer id are released;
        naming someone else's claim id is refused (ask them with request_release)."""
        released = bridge.call(
            "release_claims",
            bridge.client.release_claims,
            repo_id=env.repo_id,
            engineer=bridge.engineer(engineer),
            session_id=bridge.session_id() if session_only else None,
            pattern=pattern,
            claim_ids=claim_ids,
        )
        return {"released": released}

    @server.tool()
    def extend_claims(
        ttl_hours: float,
        claim_ids: list[int] | None = None,
        engineer: str | None = None,
    ) -> dict[str, Any]:
        """Extend your claims to `ttl_hours` from now: the given ids, or all of the
        engineer's active claims in this repo. Another engineer's claim is refused."""
        who = bridge.engineer(engineer)
        ids = claim_ids
        if not ids:
            mine = bridge.call(
                "extend_claims",
                bridge.client.list_claims,
                repo_id=env.repo_id,
                engineer=who,
                active=True,
            )
            ids = [int(c["id"]) for c in mine if isinstance(c, dict) and "id" in c]
        extended = []
        for claim_id in ids:
            extended.append(
                bridge.call(
                    f"extend_claims (claim #{claim_id})",
                    bridge.client.extend_claim,
                    claim_id,
                    engineer=who,
                    ttl_hours=ttl_hours,
                )
            )
        return {"extended": extended}

    @server.tool()
    def list_claims(
        engineer: str | None = None,
        pattern: str | None = None,
        mine: bool = False,
        active: bool = True,
    ) -> dict[str, Any]:
        """List claims in this repo (active ones by default); `mine=True` for your own."""
        who = bridge.engineer(None) if mine else engineer
        claims = bridge.call(
            "list_claims",
            bridge.client.list_claims,
            repo_id=env.repo_id,
            engineer=who,
            pattern=pattern,
            active=active,
        )
        return {"claims": claims}

    @server.tool()
    def request_release(
        claim_id: int,
        reason: str,
        urgency: Literal["low", "normal", "high", "blocking"] = "normal",
        pattern: str | None = None,
        symbols: list[str] | None = None,
        engineer: str | None = None,
    ) -> dict[str, Any]:
        """Ask the holder of a claim that blocks you (claim_id from a conflict) to give
        it up. The holder's remaining time is cut short so it must decide soon; it
        answers release, narrow, coexist or deny, and you see the answer in
        my_requests and as a notice on your next call. `pattern`/`symbols` say what
        you want, when it is less than the whole claim."""
        body: dict[str, Any] = {
            "repo_id": env.repo_id,
            "requester": bridge.engineer(engineer),
            "claim_id": claim_id,
            "reason": reason,
            "urgency": urgency,
            "session_id": bridge.session_id(),
        }
        if pattern:
            body["pattern"] = pattern
        if symbols:
            body["symbols"] = symbols
        return dict(bridge.call("request_release", bridge.client.request, "POST", "/requests", json=body))

    @server.tool()
    def respond_to_request(
        request_id: int,
        answer: Literal["release", "narrow", "coexist", "deny"],
        keep_pattern: str | None = None,
        keep_symbols: list[str] | None = None,
        note: str | None = None,
        engineer: str | None = None,
    ) -> dict[str, Any]:
        """Answer a release request made to you: `release` gives the claim up,
        `narrow` keeps only `keep_pattern` or `keep_symbols`, `coexist` lets the
        requester in beside you, `deny` keeps everything (your time stays short)."""
        body: dict[str, Any] = {"engineer": bridge.engineer(engineer), "answer": answer}
        for key, value in (("keep_pattern", keep_pattern), ("keep_symbols", keep_symbols), ("note", note)):
            if value:
                body[key] = value
        return dict(
            bridge.call(
                "respond_to_request", bridge.client.request, "POST", f"/requests/{int(request_id)}/respond", json=body
            )
        )

    @server.tool()
    def my_requests(
        role: Literal["holder", "requester"] | None = None,
        state: Literal["open", "answered", "cancelled"] | None = None,
        engineer: str | None = None,
        queued: bool = False,
    ) -> dict[str, Any]:
        """Release requests you made (role=requester) or that were made to you
        (role=holder); both when role is omitted. queued=True instead lists your
        waiting claim-queue entries, each with the claims (holder, pattern) it waits on."""
        params = {"repo_id": env.repo_id, "engineer": bridge.engineer(engineer)}
        if queued:
            if role or state:
                raise ToolError("queued=True lists claim-queue entries: role and state do not apply")
            params["queued"] = "true"
            return dict(bridge.call("my_requests", bridge.client.request, "GET", "/requests", params=params))
        if role:
            params["role"] = role
        if state:
            params["state"] = state
        return dict(bridge.call("my_requests", bridge.client.request, "GET", "/requests", params=params))

    @server.tool()
    def cancel_queue_request(queue_id: int, engineer: str | None = None) -> dict[str, Any]:
        """Give up waiting in the claim queue: the entry is cancelled and the waiting
        claim_files call returns a conflict. queue_id is from my_requests(queued=True)."""
        params = {"engineer": bridge.engineer(engineer)}
        return dict(
            bridge.call(
                "cancel_queue_request",
                bridge.client.request,
                "DELETE",
                f"/requests/{int(queue_id)}",
                params=params,
            )
        )

    @server.tool()
    def heartbeat() -> dict[str, Any]:
        """Mark this session active now (the bridge also does it every minute)."""
        return dict(bridge.call("heartbeat", bridge.heartbeat_once))

    @server.tool()
    def whoami() -> dict[str, Any]:
        """The resolved configuration: service URL, repo id, engineer, session id and
        where each came from. Never includes the token itself."""
        info = env.describe()
        info["version"] = __version__
        info["last_heartbeat_error"] = bridge.last_heartbeat_error
        return info

    return server


def _configure_logging() -> None:
    level = os.environ.get("COORD_MCP_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(stream=sys.stderr, level=level, format="coord-mcp %(levelname)s %(name)s: %(message)s")


def make_bridge(environ: dict[str, str] | None = None, start: Path | None = None) -> Bridge:
    env_map = os.environ if environ is None else environ
    clientenv.apply_local_env(env_map, start=start)
    env = clientenv.resolve(env_map, start=start)
    return Bridge(env, CoordClient.from_env(env))


def main() -> None:
    """Console script `coord-mcp`."""
    _configure_logging()
    bridge = make_bridge()
    log.info(
        "coord-mcp %s: %s repo=%s engineer=%s session=%s token=%s",
        __version__,
        bridge.env.api_url,
        bridge.env.repo_id,
        bridge.env.engineer,
        bridge.env.session_id,
        "set" if not bridge.env.token_is_placeholder else "missing",
    )
    try:
        interval = float(os.environ.get("COORD_HEARTBEAT_INTERVAL_SEC") or HEARTBEAT_INTERVAL_SEC)
    except ValueError:
        interval = HEARTBEAT_INTERVAL_SEC
    bridge.start_heartbeat(interval)
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
