"""`/mcp`: the coord MCP tools served by the service itself over streamable HTTP.

- Same tools as `coord-mcp` (`coordination.mcp_tools`), served by the official MCP SDK
  in stateless mode: no MCP session lives in one process, so any replica behind a load
  balancer answers any request.
- Auth: the API's bearer token (`Authorization: Bearer <COORD_AUTH_TOKEN>`, constant-time
  compare); without it every request is a 401 `{error, detail}` before MCP sees it.
- Who is calling: the tool arguments `repo_id` / `engineer`, else the headers
  `X-Coord-Repo`, `X-Coord-Engineer`; `X-Coord-Session` names the session, and every
  request carrying it counts as that session's activity, like any other API call.
- Each tool call runs the same route an HTTP caller would, in-process (an httpx transport
  wired to this app), so validation, errors and auth are the API's own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.from_thread
import anyio.to_thread
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from coordination.api.deps import SESSION_HEADER, check_bearer, count_activity
from coordination.errors import Unauthorized

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager


MCP_PATH = "/mcp"
LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]


class McpEndpoint:
    """ASGI endpoint: bearer auth and session activity, then the SDK's session manager.

    The MCP SDK and the tool schemas are loaded on the first `/mcp` request, not when
    the app is built: they are about half of the service's start-up CPU, and a service
    that no editor reaches over HTTP (or a test server) never needs them.
    """

    def __init__(self, app: FastAPI, require_token: bool) -> None:
        self._app = app
        self._require_token = require_token
        self._manager: StreamableHTTPSessionManager | None = None
        self._lock: anyio.Lock | None = None
        self._tasks: anyio.abc.TaskGroup | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = self._app.state.service
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            check_bearer(service, headers.get("authorization"))
        except Unauthorized as exc:
            response = JSONResponse(exc.body(), status_code=exc.status, headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await count_activity(service, headers.get(SESSION_HEADER))
        manager = await self._started()
        await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan: a task group the session manager runs in once it is built."""
        self._lock = anyio.Lock()
        try:
            async with anyio.create_task_group() as tasks:
                self._tasks = tasks
                try:
                    yield
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            # The SDK runs a session manager once: the next lifespan builds a fresh one.
            self._manager, self._tasks, self._lock = None, None, None

    async def _started(self) -> StreamableHTTPSessionManager:
        if self._manager is not None:
            return self._manager
        if self._lock is None or self._tasks is None:
            raise RuntimeError("/mcp is served only inside the app's lifespan")
        async with self._lock:
            if self._manager is None:
                # Importing the SDK and building the schemas takes a while: not on the loop.
                server = await anyio.to_thread.run_sync(self._build)
                manager = server.session_manager
                await self._tasks.start(self._run, manager)
                self._manager = manager
        return self._manager

    @staticmethod
    async def _run(manager: StreamableHTTPSessionManager, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        async with manager.run():
            task_status.started()
            await anyio.sleep_forever()

    def _build(self) -> MCPServer:
        from mcp.server.transport_security import TransportSecuritySettings

        from coordination import mcp_tools
        from coordination.api.mcp_backend import ServiceBackend

        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        server = mcp_tools.build_server(ServiceBackend(self._app))
        # Building an SDK server configures the root logger (a rich console handler). The
        # service logs through uvicorn's configuration (text or JSON, COORD_LOG_JSON): undo it,
        # or every log line would also be printed in the SDK's format.
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        # With a token, DNS rebinding cannot reach the tools (the page has no token); a local
        # demo without one only answers requests addressed to this machine.
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=not self._require_token,
            allowed_hosts=LOCAL_HOSTS,
            allowed_origins=[f"http://{h}" for h in LOCAL_HOSTS],
        )
        server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, transport_security=security)
        return server


def install(app: FastAPI, require_token: bool) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """Add `/mcp` to `app`; returns the context manager the app's lifespan must enter."""
    endpoint = McpEndpoint(app, require_token)
    app.router.routes.append(Route(MCP_PATH, endpoint=endpoint, include_in_schema=False))
    return endpoint.running
