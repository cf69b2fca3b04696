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
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.from_thread
import anyio.to_thread
import httpx
from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from coordination import __version__
from coordination.api.deps import SESSION_HEADER, check_bearer
from coordination.client import CoordClient
from coordination.errors import Unauthorized

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from coordination.mcp_tools import CallScope, Context

MCP_PATH = "/mcp"
REPO_HEADER = "x-coord-repo"
ENGINEER_HEADER = "x-coord-engineer"
LOOPBACK_URL = "http://coord.in-process"
LOCAL_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]


class LoopbackTransport(httpx.BaseTransport):
    """A sync httpx transport that hands each request to an ASGI app in this process.

    Used from the worker threads MCP runs sync tools in: the request is awaited on the
    event loop (`anyio.from_thread.run`), the thread blocks until the answer is read.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def send() -> httpx.Response:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return anyio.from_thread.run(send)


def _header(ctx: Context, name: str) -> str | None:
    request = getattr(ctx.request_context, "request", None)
    headers = getattr(request, "headers", None)
    value = headers.get(name) if headers is not None else None
    return value.strip() or None if isinstance(value, str) else None


class ServiceBackend:
    """The tool backend of `/mcp`: scope from the request headers, calls into this app."""

    def __init__(self, app: ASGIApp) -> None:
        self._transport = LoopbackTransport(app)

    def scope(self, ctx: Context) -> CallScope:
        from coordination.mcp_tools import CallScope

        authorization = _header(ctx, "authorization") or ""
        _, _, token = authorization.partition(" ")
        # The session is sent in the bodies that take one; the /mcp request itself already
        # counted as its activity, so the in-process calls carry no session header.
        client = CoordClient(LOOPBACK_URL, token.strip() or None, None, transport=self._transport)
        return CallScope(
            client=client,
            repo_id=_header(ctx, REPO_HEADER),
            engineer=_header(ctx, ENGINEER_HEADER),
            session_id=_header(ctx, SESSION_HEADER),
            engineer_hint="send the X-Coord-Engineer header",
        )

    def heartbeat(self, scope: CallScope, repo_id: str) -> dict[str, Any]:
        return scope.client.heartbeat(scope.session_id, engineer=scope.engineer, repo_id=repo_id)

    def whoami(self, scope: CallScope) -> dict[str, Any]:
        return {
            "transport": "http",
            "version": __version__,
            "repo_id": scope.repo_id,
            "repo_id_source": "X-Coord-Repo" if scope.repo_id else None,
            "engineer": scope.engineer,
            "engineer_source": "X-Coord-Engineer" if scope.engineer else None,
            "session_id": scope.session_id,
            "token": "set" if scope.client.sends_token else "unset",
        }


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
        session_id = headers.get(SESSION_HEADER)
        if session_id:
            await anyio.to_thread.run_sync(service.note_activity, session_id)
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
